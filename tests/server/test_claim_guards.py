"""Issue 10 on claims (both backends): a released or returned case never comes straight back
to its former holder, and does not starve: others get it. (The per-enumerator limits of issue
11 are in tests/security/test_claim_limits.py.)"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from cati_app.core.protocol import Role
from cati_app.server.models import Case, CaseExclusion
from tests.support.factories import claim_body, push_body, seed_cases, seed_service


def _claim(client: Any, auth: dict[str, str], n: int, device: str) -> list[int]:
    r = client.post("/v1/queue/claim", json=claim_body(n, device_id=device), headers=auth)
    assert r.status_code == 200, r.text
    return [c["case_id"] for c in r.json()["cases"]]


def _release(client: Any, auth: dict[str, str], case: dict[str, Any], reason: str,
             device: str = "dev-enum1") -> dict[str, Any]:
    item = {"item_uuid": str(uuid.uuid4()), "kind": "case_release",
            "case_id": case["case_id"], "assignment_version": case["assignment_version"],
            "payload": {"reason": reason}}
    r = client.post("/v1/sync/push", json=push_body([item], device_id=device), headers=auth)
    assert r.status_code == 200, r.text
    return r.json()["results"][0]


def _count(ctx: Any, query: Any) -> int:
    with ctx.sessions() as s:
        return s.scalar(query) or 0


# --- released and returned cases -----------------------------------------------------------


def _released_case(ctx, client, make_user, login, reason: str):  # type: ignore[no-untyped-def]
    make_user("enum1")
    make_user("enum2")
    seed_cases(ctx, seed_service(ctx), 3)
    one = login("enum1")
    r = client.post("/v1/queue/claim", json=claim_body(1), headers=one)
    case = r.json()["cases"][0]
    result = _release(client, one, case, reason)
    return one, case["case_id"], result


def test_a_case_released_with_a_reason_is_never_offered_back(ctx, client, make_user, login):
    one, released, result = _released_case(ctx, client, make_user, login,
                                            "respondent is my relative")
    # what the enumerator is told is what happens
    assert result["status"] == "stored"
    assert "not be offered to you again" in result["detail"]
    again = _claim(client, one, 5, "dev-enum1")
    assert len(again) == 2 and released not in again  # the two others, not the released one
    # the case does not starve: another enumerator gets it
    assert released in _claim(client, login("enum2"), 5, "dev-enum2")
    with ctx.sessions() as s:
        exclusion = s.get(CaseExclusion, (released, 1))
        assert exclusion is not None and exclusion.reason == "released"
        assert exclusion.detail == "respondent is my relative"


def test_a_release_without_a_reason_excludes_too(ctx, client, make_user, login):
    one, released, result = _released_case(ctx, client, make_user, login, "")
    assert "not be offered to you again" in result["detail"]
    assert released not in _claim(client, one, 5, "dev-enum1")
    assert released in _claim(client, login("enum2"), 5, "dev-enum2")


def test_a_case_returned_by_a_supervisor_skips_its_former_holder(ctx, client, make_user,
                                                                 login):
    make_user("sup", Role.supervisor)
    enum1 = make_user("enum1")
    make_user("enum2")
    seed_cases(ctx, seed_service(ctx), 2)
    one = login("enum1")
    [returned, _] = _claim(client, one, 2, "dev-enum1")
    r = client.post("/v1/cases/assign", headers=login("sup"), json={
        "case_ids": [returned], "to_user": None, "force": True,
        "reason": "speaks a language he doesn't"})
    assert r.json()["results"][0]["result"] == "returned"
    assert _claim(client, one, 5, "dev-enum1") == []
    assert _claim(client, login("enum2"), 5, "dev-enum2") == [returned]
    # a supervisor may still give it back to the former holder by hand
    client.post("/v1/cases/assign", headers=login("sup"), json={
        "case_ids": [returned], "to_user": "enum1", "force": True, "reason": "after all"})
    with ctx.sessions() as s:
        assert s.get(Case, returned).holder_id == enum1


def test_an_unacknowledged_claim_may_come_back_to_the_same_enumerator(ctx, client, clock,
                                                                      make_user, login):
    # the device never received it: nothing was refused, so no exclusion
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    one = login("enum1")
    [lost] = _claim(client, one, 1, "dev-enum1")
    clock.advance(ctx.settings.delivery_timeout + timedelta(minutes=1))
    assert _claim(client, one, 1, "dev-enum1") == [lost]
