"""Issue 10: a former holder's offline calls show in the supervisor's case table (they were
counted by progress but shown as 0 attempts) and are flagged; so is a former holder's hard
appointment kept aside. Both backends."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from cati_app.core.protocol import Role
from tests.support.factories import attempt_item, claim_body, push_body, seed_cases, seed_service


def _reassigned(ctx, client, make_user, login):  # type: ignore[no-untyped-def]
    """enum1 claims two cases; a supervisor gives both to enum2 while enum1 is offline."""
    for name in ("enum1", "enum2"):
        make_user(name)
    make_user("sup", Role.supervisor)
    seed_cases(ctx, seed_service(ctx), 2)
    one, sup = login("enum1"), login("sup")
    cases = client.post("/v1/queue/claim", json=claim_body(2), headers=one).json()["cases"]
    r = client.post("/v1/cases/assign", headers=sup, json={
        "case_ids": [c["case_id"] for c in cases], "to_user": "enum2", "force": True,
        "reason": "enum1 is on leave"})
    assert all(res["result"] == "assigned" for res in r.json()["results"])
    return one, sup, cases


def _rows(client: Any, sup: dict[str, str]) -> dict[int, dict[str, Any]]:
    page = client.get("/v1/cases", headers=sup).json()
    return {row["case_id"]: row for row in page["cases"]}


def test_a_former_holders_offline_calls_are_counted_and_flagged(ctx, client, make_user,
                                                                login):
    one, sup, [first, second] = _reassigned(ctx, client, make_user, login)
    earlier = ctx.clock.now() - timedelta(hours=2)
    items = [attempt_item(first, earlier, "no_answer"),
             attempt_item(first, earlier + timedelta(minutes=30), "busy")]
    results = client.post("/v1/sync/push", json=push_body(items), headers=one).json()
    assert {r["status"] for r in results["results"]} == {"stored"}
    rows = _rows(client, sup)
    assert rows[first["case_id"]]["attempts"] == 2  # was 0 while progress counted 2
    assert rows[first["case_id"]]["stale_attempts"] == 2
    assert rows[first["case_id"]]["flags"] == ["stale_attempts"]
    assert (rows[second["case_id"]]["attempts"], rows[second["case_id"]]["flags"]) == (0, [])


def test_a_former_holders_hard_appointment_is_flagged(ctx, client, make_user, login):
    one, sup, [first, second] = _reassigned(ctx, client, make_user, login)
    now = ctx.clock.now()
    tomorrow = now + timedelta(days=1)
    booking = attempt_item(first, now - timedelta(hours=1), "appointment",
                           appointment_at=tomorrow.isoformat(), appointment_kind="hard")
    appointment = {"item_uuid": str(uuid.uuid4()), "kind": "appointment",
                   "case_id": second["case_id"],
                   "assignment_version": second["assignment_version"],
                   "payload": {"at": tomorrow.isoformat(), "kind": "hard"}}
    r = client.post("/v1/sync/push", json=push_body([booking, appointment]), headers=one)
    assert r.status_code == 200, r.text
    rows = _rows(client, sup)
    assert rows[first["case_id"]]["flags"] == ["stale_attempts", "stale_hard_appointment"]
    assert rows[second["case_id"]]["flags"] == ["stale_hard_appointment"]
    assert rows[second["case_id"]]["attempts"] == 0
