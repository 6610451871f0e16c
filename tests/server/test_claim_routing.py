"""Issue 18, routing inside the claim (both backends): a case reaches only an enumerator who
speaks its language, except by the flagged fallback after ``language_wait``; soft refusals go
to refusal converters while one is on shift; numbers on the do-not-call register are never
handed out. On shift = signed in (``login`` below)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import func, insert, select, update

from cati_app.core.languages import REFUSAL_CONVERSION
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import Assignment, AuthToken, Case, DoNotCall, User
from cati_app.server.services.sync import routing
from tests.support.constants import PASSWORD
from tests.support.factories import claim_body, seed_case, seed_service


def _speaks(ctx: AppContext, user_id: int, languages: list[str],
            skills: list[str] | None = None) -> None:
    with transaction(ctx.sessions) as s:
        s.execute(update(User).where(User.id == user_id)
                  .values(languages=languages, skills=skills or []))


def _claim(client: Any, auth: dict[str, str], device: str, n: int = 10) -> dict[int, Any]:
    r = client.post("/v1/queue/claim", json=claim_body(n, device_id=device), headers=auth)
    assert r.status_code == 200, r.text
    return {c["case_id"]: c for c in r.json()["cases"]}


def _cases(ctx: AppContext, **languages: int) -> dict[str, list[int]]:
    """``n`` fresh cases per language code (``any_`` for "any", ``blank`` for "")."""
    service = seed_service(ctx)
    made: dict[str, list[int]] = {}
    for name, n in languages.items():
        code = {"any_": "any", "blank": ""}.get(name, name)
        made[name] = [seed_case(ctx, service, language=code) for _ in range(n)]
    return made


def test_a_case_goes_only_to_an_enumerator_who_speaks_its_language(
        ctx: AppContext, client: Any, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    made = _cases(ctx, dz=2, ne=2, any_=1, blank=1)
    _speaks(ctx, make_user("karma"), ["dz", "en"])
    _speaks(ctx, make_user("bishnu"), ["ne"])
    karma, bishnu = login("karma"), login("bishnu")
    got = _claim(client, karma, "dev-karma")
    # the Dzongkha cases and those of unknown language ("any", or blank from before routing)
    assert sorted(got) == sorted(made["dz"] + made["any_"] + made["blank"])
    assert not any(c["language_may_not_match"] for c in got.values())
    got = _claim(client, bishnu, "dev-bishnu")
    assert sorted(got) == sorted(made["ne"])
    assert {c["language"] for c in got.values()} == {"ne"}


def test_an_enumerator_without_languages_speaks_every_language(
        ctx: AppContext, client: Any, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    made = _cases(ctx, dz=1, ne=1, tsj=1)
    make_user("pema")  # languages [] as every account made before routing
    _speaks(ctx, make_user("bishnu"), ["ne"])
    login("bishnu")
    got = _claim(client, login("pema"), "dev-pema")
    assert sorted(got) == sorted(made["dz"] + made["ne"] + made["tsj"])
    assert not any(c["language_may_not_match"] for c in got.values())


def test_a_language_nobody_on_shift_speaks_waits_then_goes_to_anyone_flagged(
        ctx: AppContext, client: Any, clock: Any, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    made = _cases(ctx, tsj=1)
    _speaks(ctx, make_user("karma"), ["dz"])
    _speaks(ctx, make_user("tashi"), ["tsj"])  # speaks it, but not signed in: off shift
    karma = login("karma")
    assert _claim(client, karma, "dev-karma") == {}
    clock.advance(ctx.settings.language_wait - timedelta(minutes=1))
    assert _claim(client, karma, "dev-karma") == {}  # still within the wait
    clock.advance(timedelta(minutes=2))
    got = _claim(client, karma, "dev-karma")
    assert list(got) == made["tsj"] and got[made["tsj"][0]]["language_may_not_match"] is True


def test_after_the_wait_a_speaker_on_shift_still_keeps_the_case(
        ctx: AppContext, client: Any, clock: Any, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    made = _cases(ctx, tsj=1)
    _speaks(ctx, make_user("karma"), ["dz"])
    _speaks(ctx, make_user("tashi"), ["tsj"])
    karma, tashi = login("karma"), login("tashi")
    clock.advance(ctx.settings.language_wait * 3)
    assert _claim(client, karma, "dev-karma") == {}  # Tashi is on shift and speaks it
    got = _claim(client, tashi, "dev-tashi")
    assert list(got) == made["tsj"] and got[made["tsj"][0]]["language_may_not_match"] is False


def _soft_refusal(ctx: AppContext, service: int, language: str = "dz") -> int:
    due = ctx.clock.now() - timedelta(hours=1)
    return seed_case(ctx, service, language=language, pool="retry", attempt_count=1,
                     last_called_at=due - timedelta(days=7), next_call_at=due,
                     disposition="soft_refusal", disposition_code="2.112")


def test_soft_refusals_go_to_converters_while_one_is_on_shift(
        ctx: AppContext, client: Any, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    service = seed_service(ctx)
    refusal = _soft_refusal(ctx, service)
    fresh = seed_case(ctx, service, language="dz")
    _speaks(ctx, make_user("karma"), ["dz"])
    _speaks(ctx, make_user("sonam"), ["dz"], [REFUSAL_CONVERSION])
    karma, sonam = login("karma"), login("sonam")
    assert list(_claim(client, karma, "dev-karma")) == [fresh]
    assert list(_claim(client, sonam, "dev-sonam")) == [refusal]


def test_soft_refusals_go_to_anyone_when_no_converter_on_shift_speaks_them(
        ctx: AppContext, client: Any, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    service = seed_service(ctx)
    refusal_dz, refusal_ne = _soft_refusal(ctx, service, "dz"), _soft_refusal(ctx, service, "ne")
    _speaks(ctx, make_user("karma"), ["dz", "ne"])
    _speaks(ctx, make_user("sonam"), ["ne"], [REFUSAL_CONVERSION])
    _speaks(ctx, make_user("deki"), ["dz"], [REFUSAL_CONVERSION])  # never signs in
    karma, sonam = login("karma"), login("sonam")
    # no converter on shift speaks Dzongkha: that refusal is Karma's to try; Sonam (on
    # shift) converts the Lhotshamkha one
    assert list(_claim(client, karma, "dev-karma")) == [refusal_dz]
    assert list(_claim(client, sonam, "dev-sonam")) == [refusal_ne]


def test_numbers_on_the_do_not_call_register_are_never_handed_out(
        ctx: AppContext, client: Any, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    service = seed_service(ctx)
    both_blocked = seed_case(ctx, service, phone1="+97517000001", phone2="+97577000001")
    one_blocked = seed_case(ctx, service, phone1="+97517000002", phone2="+97577000002")
    lifted = seed_case(ctx, service, phone1="+97517000003", phone2=None)
    with transaction(ctx.sessions) as s:
        now = ctx.clock.now()
        for phone in ("+97517000001", "+97577000001", "+97517000002", "+97517000003"):
            s.add(DoNotCall(phone=phone, source="respondent", added_at=now,
                            removed_at=now if phone == "+97517000003" else None))
    make_user("karma")
    got = _claim(client, login("karma"), "dev-karma")
    assert sorted(got) == sorted([one_blocked, lifted])
    # left out in its place, so phone_index 1 still names the second number
    assert got[one_blocked]["phones"] == ["", "+97577000002"]
    assert got[lifted]["phones"] == ["+97517000003"]
    assert both_blocked not in got


def test_concurrent_claimers_with_routing_never_share_a_case_or_cross_a_language(
        ctx: AppContext, live_server: Any, make_user: Callable[..., int]) -> None:
    claimers = 8 if ctx.engine.dialect.name == "sqlite" else 24
    service = seed_service(ctx)
    languages = ["dz", "ne", "tsj", "en"]
    spoken = {}
    for i in range(claimers):
        spoken[f"enum{i}"] = [languages[i % 4]]
        _speaks(ctx, make_user(f"enum{i}"), spoken[f"enum{i}"])
    case_language = {seed_case(ctx, service, language=languages[k % 4]): languages[k % 4]
                     for k in range(claimers * 5)}
    tokens = {}
    for name in spoken:
        r = requests.post(f"{live_server.url}/v1/auth/token", json={
            "username": name, "password": PASSWORD, "device_id": f"dev-{name}"}, timeout=30)
        tokens[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    barrier = threading.Barrier(claimers)

    def claim(name: str) -> list[dict[str, Any]]:
        barrier.wait(timeout=30)
        got: list[dict[str, Any]] = []
        for _ in range(3):
            r = requests.post(f"{live_server.url}/v1/queue/claim", headers=tokens[name],
                              json=claim_body(2, device_id=f"dev-{name}"), timeout=120)
            assert r.status_code == 200, r.text
            got += r.json()["cases"]
        return got

    with ThreadPoolExecutor(claimers) as pool:
        claimed = dict(zip(spoken, pool.map(claim, spoken), strict=True))
    handed = [c["case_id"] for got in claimed.values() for c in got]
    assert len(handed) == len(set(handed)) == claimers * 5  # 6 asked each, 5 of theirs there
    for name, got in claimed.items():
        assert all(case_language[c["case_id"]] in spoken[name] for c in got)
        assert not any(c["language_may_not_match"] for c in got)
    with ctx.sessions() as s:
        per_case = s.execute(select(Assignment.case_id, func.count())
                             .group_by(Assignment.case_id)).all()
        assert all(n == 1 for _, n in per_case)
        assert s.scalar(select(func.count()).select_from(Case)
                        .where(Case.state == "held")) == claimers * 5


def test_who_is_on_shift_is_believed_a_few_seconds_per_process(
        ctx: AppContext, make_user: Callable[..., int], login: Callable[..., dict[str, str]],
        monkeypatch: Any) -> None:
    karma, tashi = make_user("karma"), make_user("tashi")
    _speaks(ctx, karma, ["dz"])
    _speaks(ctx, tashi, ["tsj"])
    login("karma")  # through this process: seen at once
    now = ctx.clock.now()

    def spoken() -> frozenset[str]:
        with ctx.sessions() as s, s.begin():
            return routing.on_shift(s, now, 5.0).spoken

    assert spoken() == {"dz"}
    # Tashi signs in through another worker (no session of this process sees it)
    with ctx.engine.begin() as conn:
        conn.execute(insert(AuthToken).values(
            token_hash="f" * 64, user_id=tashi, device_id="dev-tashi", created_at=now,
            expires_at=now + timedelta(hours=8)))
    assert spoken() == {"dz"}
    later = time.monotonic() + 6
    monkeypatch.setattr(routing.time, "monotonic", lambda: later)
    assert spoken() == {"dz", "tsj"}
    # a change of languages through this process empties it at once
    _speaks(ctx, karma, ["dz", "en"])
    assert spoken() == {"dz", "en", "tsj"}


def test_an_own_hard_appointment_comes_back_whatever_its_language(
        ctx: AppContext, client: Any, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    # Karma (Dzongkha) took a Tshangla case by the fallback and booked a call-back with the
    # respondent; a Tshangla speaker is on shift now, but the appointment is Karma's
    service = seed_service(ctx)
    karma = make_user("karma")
    _speaks(ctx, karma, ["dz"])
    _speaks(ctx, make_user("tashi"), ["tsj"])
    due = ctx.clock.now() - timedelta(minutes=5)
    booked = seed_case(ctx, service, language="tsj", pool="appointment", attempt_count=1,
                       last_called_at=due - timedelta(days=1), appointment_at=due,
                       appointment_kind="hard", appointment_by=karma, next_call_at=due)
    tashi = login("tashi")
    assert _claim(client, tashi, "dev-tashi") == {}  # reserved for its booker
    got = _claim(client, login("karma"), "dev-karma")
    assert list(got) == [booked] and got[booked]["language_may_not_match"] is True


def test_a_soft_refusal_with_an_appointment_since_is_not_kept_for_converters(
        ctx: AppContext, client: Any, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    service = seed_service(ctx)
    due = ctx.clock.now() - timedelta(minutes=5)
    call_back = seed_case(ctx, service, language="dz", pool="appointment", attempt_count=2,
                          last_called_at=due - timedelta(days=1), appointment_at=due,
                          appointment_kind="soft", next_call_at=due,
                          disposition="soft_refusal", disposition_code="2.112")
    _speaks(ctx, make_user("karma"), ["dz"])
    _speaks(ctx, make_user("sonam"), ["dz"], [REFUSAL_CONVERSION])
    login("sonam")
    assert list(_claim(client, login("karma"), "dev-karma")) == [call_back]
