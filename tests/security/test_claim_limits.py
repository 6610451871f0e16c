"""Issue 11: one enumerator cannot take the whole sample (both backends): a cap on held cases,
claims per minute (429 with Retry-After), cases per hour; mass claims audited and flagged for
supervisors. Defaults are the production ones: 60 held, 10 claims a minute, 120 cases an hour."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import func, select

from cati_app.core.protocol import Role
from cati_app.server.models import AuditEntry, Case, CaseFlag
from tests.support.constants import PASSWORD
from tests.support.factories import claim_body, push_body, seed_cases, seed_service


def _claim(client: Any, auth: dict[str, str], n: int, device: str) -> list[int]:
    r = client.post("/v1/queue/claim", json=claim_body(n, device_id=device), headers=auth)
    assert r.status_code == 200, r.text
    return [c["case_id"] for c in r.json()["cases"]]


def _release(client: Any, auth: dict[str, str], case: dict[str, Any]) -> None:
    item = {"item_uuid": str(uuid.uuid4()), "kind": "case_release",
            "case_id": case["case_id"], "assignment_version": case["assignment_version"],
            "payload": {"reason": ""}}
    r = client.post("/v1/sync/push", json=push_body([item]), headers=auth)
    assert r.json()["results"][0]["status"] == "stored", r.text


def _count(ctx: Any, query: Any) -> int:
    with ctx.sessions() as s:
        return s.scalar(query) or 0


def test_twenty_claims_of_200_cannot_hand_one_enumerator_the_sample(ctx, client, make_user,
                                                                    login):
    make_user("enum1")
    make_user("sup", Role.supervisor)
    seed_cases(ctx, seed_service(ctx), 4000)
    auth = login("enum1")
    got: list[int] = []
    statuses = []
    for _ in range(20):
        r = client.post("/v1/queue/claim", json=claim_body(200), headers=auth)
        statuses.append(r.status_code)
        if r.status_code == 200:
            got += [c["case_id"] for c in r.json()["cases"]]
        else:
            assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
            assert r.json()["error"] == "too_many_requests"
    cap = ctx.settings.max_held_cases
    assert len(got) == len(set(got)) == cap == 60
    assert statuses.count(200) == ctx.settings.claims_per_minute and 429 in statuses
    assert _count(ctx, select(func.count()).select_from(Case)
                  .where(Case.holder_id == 1)) == cap
    # audited, and flagged where a supervisor looks: the case table
    assert _count(ctx, select(func.count()).select_from(AuditEntry)
                  .where(AuditEntry.action == "claim.mass")) >= 1
    page = client.get("/v1/cases", params={"holder": "enum1", "limit": 100},
                      headers=login("sup")).json()
    assert page["total"] == cap
    assert all("mass_claim" in row["flags"] for row in page["cases"])


def test_a_desktop_top_up_is_never_cut_or_flagged(ctx, client, clock, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 100)
    auth = login("enum1")
    assert len(_claim(client, auth, 30, "dev-enum1")) == 30  # the desktop's target
    clock.advance(timedelta(minutes=5))
    assert len(_claim(client, auth, 30, "dev-enum1")) == 30  # still within the cap of 60
    assert _count(ctx, select(func.count()).select_from(CaseFlag)) == 0
    assert _count(ctx, select(func.count()).select_from(AuditEntry)
                  .where(AuditEntry.action.like("claim.%"))) == 0


def test_claims_per_minute_answer_429_then_recover(ctx, client, clock, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 50)
    auth = login("enum1")
    for _ in range(ctx.settings.claims_per_minute):
        _claim(client, auth, 1, "dev-enum1")
    clock.advance(timedelta(seconds=20))
    r = client.post("/v1/queue/claim", json=claim_body(1), headers=auth)
    assert r.status_code == 429 and r.headers["Retry-After"] == "40"
    assert "claims" in r.json()["detail"]
    # a retried claim (same request_uuid) is a replay, never rate-limited
    clock.advance(timedelta(seconds=40))
    assert len(_claim(client, auth, 1, "dev-enum1")) == 1


def test_cases_per_hour_bound_claim_and_release_churn(ctx, client, clock, make_user, login):
    # claim, release everything, claim again: the held cap alone would let this harvest
    # the sample; the hourly budget stops it
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 400)
    auth = login("enum1")
    handed = 0
    for _ in range(6):
        r = client.post("/v1/queue/claim", json=claim_body(60), headers=auth)
        cases = r.json()["cases"]
        handed += len(cases)
        for case in cases:
            _release(client, auth, case)
        clock.advance(timedelta(minutes=1))
    assert handed == ctx.settings.claim_cases_per_hour == 120
    clock.advance(timedelta(hours=1))
    assert len(_claim(client, auth, 60, "dev-enum1")) == 60


def test_the_limits_hold_under_parallel_claims(ctx, live_server, make_user):
    # 20 parallel claims of 200 by one enumerator (PostgreSQL: several connections at once)
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1000)
    r = requests.post(f"{live_server.url}/v1/auth/token", json={
        "username": "enum1", "password": PASSWORD, "device_id": "dev-enum1"}, timeout=30)
    auth = {"Authorization": f"Bearer {r.json()['access_token']}"}
    barrier = threading.Barrier(20)

    def claim(_: int) -> tuple[int, int]:
        barrier.wait(timeout=30)
        reply = requests.post(f"{live_server.url}/v1/queue/claim", json=claim_body(200),
                              headers=auth, timeout=120)
        return reply.status_code, len(reply.json().get("cases", []))

    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(claim, range(20)))
    assert sum(n for _, n in replies) == ctx.settings.max_held_cases
    assert [s for s, _ in replies].count(200) == ctx.settings.claims_per_minute
    assert {s for s, _ in replies} == {200, 429}
    assert _count(ctx, select(func.count()).select_from(Case)
                  .where(Case.holder_id == 1)) == ctx.settings.max_held_cases
