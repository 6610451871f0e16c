"""The set-wise fast path of push gives exactly what the per-item path gives."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cati_app.server.models import AuditEntry, Case, ContactAttempt, InterviewVersion, PushedItem
from cati_app.server.services.sync import push as push_service
from cati_app.server.services.sync import push_batch
from tests.support.factories import (
    attempt_item,
    claim_body,
    interview_item,
    push_body,
    seed_cases,
    seed_service,
)

CASE_COLUMNS = ("state", "attempt_count", "disposition", "disposition_code", "next_call_at",
                "next_phone_index", "appointment_at", "appointment_kind", "plan_reason",
                "assignment_version", "pool")  # not holder_id: two enumerators by design


def _batch(cases, now):
    """Every everyday shape: retries, an appointment, a refusal, complete/partial interviews."""
    a, b, c, d, e = cases
    partial = {"consent": "yes", "availed": "yes", "acc_info": "4", "acc_reach": "5",
               "time_wait": "3", "time_turnaround": "2", "att_welcome": "5"}
    return [
        attempt_item(a, now - timedelta(hours=2), "no_answer"),
        attempt_item(a, now - timedelta(hours=1), "busy"),
        attempt_item(b, now - timedelta(minutes=30), "appointment",
                     appointment_at=(now + timedelta(hours=3)).isoformat(),
                     appointment_kind="hard"),
        attempt_item(c, now - timedelta(minutes=20), "hard_refusal", note="do not call"),
        attempt_item(d, now - timedelta(minutes=50), "no_answer"),
        interview_item(d, now - timedelta(minutes=10)),
        interview_item(e, now - timedelta(minutes=10), partial),
    ]


def _state(ctx, case_ids):
    with ctx.sessions() as s:
        cases = [tuple(getattr(s.get(Case, i), col) for col in CASE_COLUMNS) for i in case_ids]
        attempts = [(a.outcome, a.aapor_code, a.phone_index, a.stale, a.note)
                    for i in case_ids for a in s.scalars(
                        select(ContactAttempt).where(ContactAttempt.case_id == i)
                        .order_by(ContactAttempt.id))]
        versions = [(v.completion, v.primary, v.stale, v.review_status, tuple(v.problems))
                    for i in case_ids for v in s.scalars(
                        select(InterviewVersion).where(InterviewVersion.case_id == i))]
        ledger = sorted((p.kind, p.status, p.detail) for p in s.scalars(
            select(PushedItem).where(PushedItem.case_id.in_(case_ids))))
        audit = sorted(a.action for a in s.scalars(select(AuditEntry).where(
            AuditEntry.entity == "case", AuditEntry.entity_id.in_([str(i) for i in case_ids]))))
    return cases, attempts, versions, ledger, audit


def test_fast_and_per_item_paths_store_the_same(ctx, client, make_user, login, monkeypatch):
    make_user("enum1")
    make_user("enum2")
    seed_cases(ctx, seed_service(ctx), 10, phones=2)
    used: list[bool] = []
    real = push_batch.push_fast

    def spy(*args, **kwargs):
        result = real(*args, **kwargs)
        used.append(result is not None)
        return result

    monkeypatch.setattr(push_service, "push_fast", spy)
    outcomes = {}
    for user, fast in (("enum1", True), ("enum2", False)):
        monkeypatch.setattr(push_service, "FAST_PATH", fast)
        auth = login(user)
        cases = client.post("/v1/queue/claim", json=claim_body(5, device_id=f"dev-{user}"),
                            headers=auth).json()["cases"]
        reply = client.post("/v1/sync/push", headers=auth, json=push_body(
            _batch(cases, ctx.clock.now()), f"dev-{user}")).json()["results"]
        outcomes[fast] = ([(r["status"], r["detail"]) for r in reply],
                          _state(ctx, [c["case_id"] for c in cases]))
    assert used == [True]  # the fast path took the first batch; the second never asked
    fast_results, fast_state = outcomes[True]
    slow_results, slow_state = outcomes[False]
    assert fast_results == slow_results
    assert fast_state == slow_state


@pytest.mark.parametrize("spoiler", ["replay", "stale", "invalid"])
def test_batches_it_cannot_take_go_the_per_item_way(ctx, client, make_user, login, monkeypatch,
                                                    spoiler):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 3)
    auth = login("enum1")
    cases = client.post("/v1/queue/claim", json=claim_body(3), headers=auth).json()["cases"]
    now = ctx.clock.now()
    first = attempt_item(cases[0], now)
    assert client.post("/v1/sync/push", json=push_body([first]), headers=auth).status_code == 200
    odd = {"replay": first,
           "stale": {**attempt_item(cases[1], now), "assignment_version": 0},
           "invalid": attempt_item(cases[1], now, outcome="teleported")}[spoiler]
    answers = []
    monkeypatch.setattr(push_service, "push_fast", lambda *a, **k: answers.append(
        push_batch.push_fast(*a, **k)) or answers[-1])
    reply = client.post("/v1/sync/push", headers=auth, json=push_body(
        [attempt_item(cases[2], now), odd])).json()["results"]
    assert answers == [None]
    assert reply[0]["status"] == "stored"
    assert reply[1]["status"] in {"duplicate", "stored", "rejected_invalid"}
    with ctx.sessions() as s:
        assert s.scalar(select(PushedItem.status).where(
            PushedItem.item_uuid == reply[0]["item_uuid"])) == "stored"
