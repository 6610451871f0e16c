"""Demo data (seeded through the real sample import, idempotent) and the ``./tasks demo``
launcher, which runs the real server on a loopback port and stops it on the way out."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from cati_app.core.clock import to_thimphu
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.migrate import upgrade
from cati_app.server.models import (
    Case,
    CaseState,
    QuestionnaireVersion,
    SampleBatch,
    Service,
    User,
)
from cati_app.server.services.ops.demo import (
    AGENCY,
    DEMO_PASSWORD,
    DZONGKHAGS,
    DemoResult,
    seed_demo,
)

E164_MOBILE = re.compile(r"\+975(17|77|16)\d{6}")


def seed(ctx: AppContext) -> DemoResult:
    with transaction(ctx.sessions) as session:
        return seed_demo(session, ctx.hasher, at=ctx.clock.now())


def test_demo_seeds_services_users_questionnaire_and_a_realistic_sample(ctx):
    result = seed(ctx)
    assert result.created == ["the default questionnaire",
                              "users enum1, enum2, super, analyst, admin",
                              "service CID", "service MIMO", "180 CID cases", "120 MIMO cases"]
    with ctx.sessions() as session:
        services = session.execute(select(Service.code, Service.name, Service.agency)
                                   .order_by(Service.code)).all()
        assert [tuple(s) for s in services] == [
            ("CID", "Issuance of New CID Card", AGENCY),
            ("MIMO", "Move-in/Move-out (inter-Dzongkhag census transfer)", AGENCY)]
        roles = dict(session.execute(select(User.username, User.role)).all())
        assert roles == {"enum1": "enumerator", "enum2": "enumerator", "super": "supervisor",
                         "analyst": "analyst", "admin": "admin"}
        admin = session.scalars(select(User).where(User.username == "admin")).one()
        assert ctx.hasher.verify(admin.password_hash, DEMO_PASSWORD)
        assert session.scalar(select(QuestionnaireVersion.qid)) == "set"
        cases = session.scalars(select(Case)).all()
        batches = session.scalars(select(SampleBatch.name)).all()

    assert batches == ["Demo sample", "Demo sample"]
    assert len(cases) == 300
    assert {c.state for c in cases} == {CaseState.QUEUED}
    assert all(E164_MOBILE.fullmatch(p) for c in cases for p in c.phones())
    assert 30 <= sum(c.phone2 is not None for c in cases) <= 90
    assert {c.dzongkhag for c in cases} == set(DZONGKHAGS)  # all 20
    today = to_thimphu(ctx.clock.now()).date()
    assert all(today - timedelta(days=14) <= c.date_availed < today for c in cases)
    languages = [c.language for c in cases]
    assert 0.3 < languages.count("dz") / len(cases) < 0.75
    assert set(languages) == {"dz", "tsj", "ne", "en", "any"}  # issue 18: every language
    assert all(c.language in ("tsj", "en", "any") for c in cases if c.dzongkhag == "Mongar")
    with ctx.sessions() as session:
        skills = {u.username: (u.languages, u.skills) for u in session.scalars(select(User))}
    assert skills["enum1"] == (["dz", "en"], ["refusal_conversion"])
    assert skills["enum2"] == (["dz", "ne", "en"], [])
    assert skills["super"] == ([], [])
    assert len({c.respondent_name for c in cases}) > 150


def test_demo_twice_adds_nothing(ctx):
    seed(ctx)
    again = seed(ctx)
    assert again.created == []
    assert again.lines()[0] == "demo data already present"
    assert again.lines()[1:3] == ["demo logins:",
                                  f"  enum1    enumerator  password: {DEMO_PASSWORD}"]
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 300
        assert session.scalar(select(func.count()).select_from(User)) == 5


def test_the_sample_is_the_same_every_time(ctx, tmp_path):
    seed(ctx)
    with ctx.sessions() as session:
        first = session.execute(select(Case.respondent_name, Case.phone1)
                                .order_by(Case.id).limit(5)).all()
    other = AppContext.build(ctx.settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'other.sqlite3'}"}), ctx.clock)
    upgrade(other.engine)
    seed(other)
    with other.sessions() as session:
        second = session.execute(select(Case.respondent_name, Case.phone1)
                                 .order_by(Case.id).limit(5)).all()
    other.engine.dispose()
    assert first == second


@pytest.mark.e2e
@pytest.mark.timeout(180)
def test_the_demo_launcher_serves_demo_data_and_stops_the_server(tmp_path: Path):
    env = os.environ | {"CATI_ARGON2_TIME_COST": "1", "CATI_ARGON2_MEMORY_KIB": "64"}
    launcher = subprocess.Popen(
        [sys.executable, "-m", "cati_app.demo", "--data-dir", str(tmp_path), "--port", "18461",
         "--no-client"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = _wait_for_url(launcher)
        login = httpx.post(f"{url}/v1/auth/token", timeout=10, json={
            "username": "enum1", "password": DEMO_PASSWORD, "device_id": "test-device"})
        assert login.status_code == 200, login.text
        assert login.json()["role"] == "enumerator"
        launcher.send_signal(signal.SIGINT)  # Ctrl-C on the launcher alone
        assert launcher.wait(30) == 0
    finally:
        if launcher.poll() is None:
            launcher.kill()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/v1/sync/hello", timeout=2)
    assert (tmp_path / "demo.sqlite3").exists()


def _wait_for_url(launcher: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + 120
    assert launcher.stdout is not None
    for line in launcher.stdout:
        found = re.search(r"demo server: (http://127\.0\.0\.1:\d+)", line)
        if found:
            return found.group(1)
        assert time.monotonic() < deadline, "the demo launcher did not start in time"
    raise AssertionError(f"the demo launcher exited ({launcher.wait()}) without a URL")
