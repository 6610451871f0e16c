"""Demo data (seeded through the real sample import, idempotent) and the ``./tasks demo``
launcher, which runs the real server on a loopback port and stops it on the way out."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
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
    Ticket,
    User,
)
from cati_app.server.services.ops.demo import (
    AGENCY,
    DEMO_PASSWORD,
    DZONGKHAGS,
    DemoResult,
    seed_demo,
)
from cati_app.server.services.ops.demo_history import OFFICES, _two_quarters
from cati_app.server.services.reporting.scorecard import build_scorecard

E164_MOBILE = re.compile(r"\+975(17|77|16)\d{6}")


def seed(ctx: AppContext) -> DemoResult:
    with transaction(ctx.sessions) as session:
        return seed_demo(session, ctx.hasher, at=ctx.clock.now())


def test_demo_seeds_services_users_questionnaire_and_a_realistic_sample(ctx):
    result = seed(ctx)
    assert result.created == ["the default questionnaire",
                              "users enum1, enum2, super, analyst, admin",
                              "service CID", "service MIMO", "180 CID cases", "120 MIMO cases",
                              "frame of 401 service users, a draw of 60 and its replicate 1 "
                              "(20 cases)",
                              "516 completed interviews over two quarters (the scorecards' "
                              "history)",
                              "12 complaint tickets"]
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
        sample = session.scalars(select(Case).join(SampleBatch).where(
            SampleBatch.name == "Demo sample")).all()
        batches = session.scalars(select(SampleBatch.name)).all()
    cases = [c for c in sample if c.stratum is None]  # the call lists
    drawn = [c for c in sample if c.stratum is not None]  # replicate 1 of the demo draw

    assert batches == ["Demo sample"] * 4 + ["Demo history"] * 2  # two call lists, the
    # released replicate's two, the scorecards' history
    assert len(cases) == 300 and len(drawn) == 20
    assert all(0 < c.inclusion_probability <= 1 for c in drawn)
    assert {c.state for c in drawn} == {CaseState.QUEUED}
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


def test_demo_complaints_cover_every_state_two_months_and_are_masked(ctx):
    seed(ctx)
    with ctx.sessions() as session:
        tickets = session.scalars(select(Ticket)).all()
    assert {t.state for t in tickets} == {"open", "acknowledged", "resolved"}
    assert len({t.category for t in tickets}) >= 4
    assert len({(t.reported_on.year, t.reported_on.month) for t in tickets}) >= 2
    assert not [t for t in tickets if re.search(r"\d{2} \d{2} \d{2}", t.text)]
    assert any("[phone]" in t.text for t in tickets)
    # no call-back is queued: the demo's database stays the demo's
    assert all(t.follow_up_case_id is None for t in tickets)
    assert all(t.resolved_at is not None for t in tickets if t.state == "resolved")


def test_demo_twice_adds_nothing(ctx):
    seed(ctx)
    again = seed(ctx)
    assert again.created == []
    assert again.lines()[0] == "demo data already present"
    assert again.lines()[1:3] == ["demo logins:",
                                  f"  enum1    enumerator  password: {DEMO_PASSWORD}"]
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 320 + HISTORY_CASES
        assert session.scalar(select(func.count()).select_from(User)) == 5
        assert session.scalar(select(func.count()).select_from(Ticket)) == 12


#: the history's cases: CID's drawn sample (completes × 10 // 7 per office and quarter, the rest
#: nonrespondents) and MIMO's completes
HISTORY_CASES = 2 * (sum(o.completes * 10 // 7 for o in OFFICES["CID"])
                     + sum(o.completes for o in OFFICES["MIMO"]))


def test_the_demo_history_fills_the_scorecard(ctx):
    seed(ctx)
    with ctx.sessions() as session:
        card = build_scorecard(session, ctx.settings, now=ctx.clock.now())
    with_data = [c for c in card.cells if c.composite.status != "suppressed"]
    assert len({c.period for c in with_data}) == 2
    assert len({(c.service_code, c.office) for c in with_data if c.office}) >= 6
    assert {c.method for c in with_data} == {"weighted", "unweighted"}
    assert {c.composite.status for c in card.cells} == {"published", "indicative",
                                                        "suppressed"}
    mongar = [c for c in with_data if c.office.startswith("Mongar")]
    assert mongar and all(any(f.kind == "below_peers" for f in c.flags) for c in mongar)


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


def test_the_demo_history_spans_two_quarters_with_data():
    early, late = _two_quarters(date(2026, 10, 5))  # the quarter is 4 days old
    assert (early, late) == ((date(2026, 4, 1), date(2026, 6, 30)),
                             (date(2026, 7, 1), date(2026, 9, 30)))
    early, late = _two_quarters(date(2026, 12, 1))
    assert (early, late) == ((date(2026, 7, 1), date(2026, 9, 30)),
                             (date(2026, 10, 1), date(2026, 11, 28)))
