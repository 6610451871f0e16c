"""The progress report counts an enumerator's cases that nobody holds any more (issue 13):
closing or returning a case clears its holder, and the case still counts for the enumerator
who held it last. Through the HTTP API, both databases."""

from __future__ import annotations

from tests.server.factories import (
    assign_via_api,
    attempt_item,
    claim_body,
    push_body,
    seed_cases,
    seed_service,
)


def test_queued_and_closed_count_for_the_last_holder(ctx, client, make_user, login) -> None:
    make_user("enum1")
    make_user("enum2")
    make_user("boss", "supervisor")
    one, boss = login("enum1"), login("boss")
    seed_cases(ctx, seed_service(ctx), 4)
    grant = client.post("/v1/queue/claim", json=claim_body(3), headers=one).json()
    refused, returned, _kept = grant["cases"]
    client.post("/v1/queue/ack", headers=one, json={
        "grant_id": grant["grant_id"], "case_ids": [c["case_id"] for c in grant["cases"]]})
    pushed = client.post("/v1/sync/push", headers=one, json=push_body([attempt_item(
        refused, ctx.clock.now(), "hard_refusal", note="never call me")])).json()
    assert pushed["results"][0]["status"] == "stored"
    assign_via_api(client, boss, [returned["case_id"]], None, force=True, reason="rebalancing")

    report = client.get("/v1/reports/progress", headers=boss).json()
    by_name = {e["username"]: e["cases_by_state"] for e in report["enumerators"]}
    assert by_name["enum1"] == {"queued": 1, "held": 1, "needs_supervisor": 0, "closed": 1}
    assert by_name["enum2"] == {"queued": 0, "held": 0, "needs_supervisor": 0, "closed": 0}
    [service] = report["services"]
    assert service["cases_by_state"] == {"queued": 2, "held": 1, "needs_supervisor": 0,
                                         "closed": 1}
