"""Supervisor API: the case table, assignment and reassignment, priority (both backends).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cati_app.core.protocol import ChangeType, QueueCase, Role
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import (
    CaseState,
    ContactAttempt,
    InterviewVersion,
    User,
)
from tests.support.factories import (
    assert_error,
    audits,
    feed,
    give,
    load_case,
    primaries,
    seed_case,
    seed_cid_service,
    seed_conflict,
    seed_version,
)


@pytest.fixture
def people(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
           ) -> dict[str, Any]:
    ids = {"sup": make_user("sup", Role.supervisor), "karma": make_user("karma"),
           "pema": make_user("pema"), "ana": make_user("ana", Role.analyst)}
    return {"ids": ids, "sup": login("sup")}


@pytest.fixture
def service_id(ctx: AppContext) -> int:
    return seed_cid_service(ctx)


# --- case table ----------------------------------------------------------------------------


def test_case_list_filters_pages_and_counts(client: TestClient, ctx: AppContext,
                                            people: dict[str, Any], service_id: int) -> None:
    other = seed_cid_service(ctx, "MOVE", "Move-in/Move-out")
    first = seed_case(ctx, service_id, respondent_name="Sonam 100% Choden")
    held = seed_case(ctx, service_id, office="Paro Office", dzongkhag="Paro")
    moving = seed_case(ctx, other, respondent_name="Tashi Dorji", phone2=None)
    give(ctx, held, people["ids"]["karma"])

    def ids(**params: Any) -> list[int]:
        response = client.get("/v1/cases", params=params, headers=people["sup"])
        assert response.status_code == 200, response.text
        return [row["case_id"] for row in response.json()["cases"]]

    assert ids() == [first, held, moving]
    assert ids(state="held") == [held] == ids(holder="karma")
    assert ids(service="move") == [moving]
    assert ids(text="paro") == [held] == ids(text=str(held))
    assert ids(text="100%") == [first]  # a literal %, not a wildcard
    assert ids(text="tashi", service="CID") == []
    assert ids(holder="nobody") == [] == ids(text="9" * 19)
    page = client.get("/v1/cases", params={"limit": 2, "offset": 1},
                      headers=people["sup"]).json()
    assert page["total"] == 3 and [r["case_id"] for r in page["cases"]] == [held, moving]
    row = page["cases"][0]
    assert row["holder"] == "karma" and row["state"] == "held"
    assert row["phones"] == ["+975 •• •• •• 56", "+975 •• •• •• 56"]  # masked in lists
    assert row["assignment_version"] == 1 and row["service_code"] == "CID"


def test_a_supervisor_sees_a_number_in_full_only_with_a_reason_and_it_is_audited(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int,
        login: Callable[..., dict[str, str]]) -> None:
    case = seed_case(ctx, service_id)
    listed = client.get("/v1/cases", headers=people["sup"]).json()["cases"][0]
    assert all("12 34" not in phone for phone in listed["phones"])

    no_reason = client.post(f"/v1/cases/{case}/phones", json={"reason": "  "},
                            headers=people["sup"])
    assert_error(no_reason, 422)
    assert audits(ctx, "case.phones_revealed", case) == []
    assert_error(client.post(f"/v1/cases/{case}/phones", json={"reason": "respondent called "
                             "back"}, headers=login("karma")), 403)  # not an enumerator's
    assert_error(client.post("/v1/cases/999999/phones", json={"reason": "checking a number"},
                             headers=people["sup"]), 404)

    shown = client.post(f"/v1/cases/{case}/phones", json={"reason": "Number reported wrong"},
                        headers=people["sup"])
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"case_id": case, "phones": ["+975 17 12 34 56", "+975 77 12 34 56"]}
    [entry] = audits(ctx, "case.phones_revealed", case)
    assert entry.details["reason"] == "Number reported wrong"
    assert entry.user_id == people["ids"]["sup"]


def test_case_list_refuses_bad_filters(client: TestClient, people: dict[str, Any]) -> None:
    assert_error(client.get("/v1/cases", params={"state": "lost"}, headers=people["sup"]), 422)
    body = assert_error(client.get("/v1/cases", params={"limit": 0}, headers=people["sup"]),
                        422)
    assert body["fields"][0]["loc"] == ["query", "limit"]


# --- assignment ----------------------------------------------------------------------------


def assign(client: TestClient, headers: dict[str, str], **body: Any) -> list[dict[str, Any]]:
    response = client.post("/v1/cases/assign", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_assign_from_pool_sends_the_case_to_the_new_holder(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    case_id = seed_case(ctx, service_id)
    [result] = assign(client, people["sup"], case_ids=[case_id], to_user="pema")
    assert result["result"] == "assigned" and result["assignment_version"] == 1
    case = load_case(ctx, case_id)
    assert (case.state, case.holder_id, case.delivery_deadline) == (
        CaseState.HELD, people["ids"]["pema"], None)
    [change] = feed(ctx, people["ids"]["pema"], ChangeType.case_upsert)
    view = QueueCase.model_validate(change.body)
    assert view.respondent_name == "Dorji Wangmo"
    assert view.phones == ["+97517123456", "+97577123456"]
    assert (view.questionnaire_id, view.questionnaire_version) == ("set", 1)
    assert change.assignment_version == view.assignment_version == 1
    assert len(audits(ctx, "case.grant", case_id)) == 1


def test_reassigning_a_held_case_needs_force_and_a_reason(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    karma, pema = people["ids"]["karma"], people["ids"]["pema"]
    case_id = seed_case(ctx, service_id)
    give(ctx, case_id, karma)
    for body in ({}, {"force": True}, {"force": True, "reason": "   "}, {"reason": "x"}):
        [result] = assign(client, people["sup"], case_ids=[case_id], to_user="pema", **body)
        assert result["result"] == "refused" and "force" in result["detail"]
    assert load_case(ctx, case_id).assignment_version == 1
    assert feed(ctx, pema, ChangeType.case_upsert) == []

    [result] = assign(client, people["sup"], case_ids=[case_id], to_user="pema", force=True,
                      reason="Karma is on leave")
    assert result["result"] == "assigned"
    case = load_case(ctx, case_id)
    assert case.holder_id == pema and case.assignment_version == 3  # revoke +1, grant +1
    [revoked] = feed(ctx, karma, ChangeType.case_revoked)
    assert revoked.body["reason"] == "Karma is on leave" and revoked.assignment_version == 2
    [upsert] = feed(ctx, pema, ChangeType.case_upsert)
    assert upsert.assignment_version == 3 and upsert.body["phones"][0] == "+97517123456"
    [revoke_audit] = audits(ctx, "case.revoke", case_id)
    assert revoke_audit.user_id == people["ids"]["sup"]
    assert revoke_audit.details["reason"] == "Karma is on leave"
    assert len(audits(ctx, "case.grant", case_id)) == 2  # the claim and the reassignment


def test_return_to_pool_and_per_case_results(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    karma = people["ids"]["karma"]
    held = seed_case(ctx, service_id)
    pooled = seed_case(ctx, service_id)
    closed = seed_case(ctx, service_id, state=CaseState.CLOSED, disposition="complete",
                       disposition_code="1.1")
    give(ctx, held, karma)
    results = assign(client, people["sup"], case_ids=[closed, 999_999, held, pooled, held],
                     to_user=None, force=True, reason="wrong language")
    assert [(r["case_id"], r["result"]) for r in results] == [
        (held, "returned"), (pooled, "unchanged"), (closed, "refused"),
        (999_999, "not_found")]
    case = load_case(ctx, held)
    assert (case.state, case.holder_id) == (CaseState.QUEUED, None)
    assert [c.body["reason"] for c in feed(ctx, karma, ChangeType.case_revoked)] == [
        "wrong language"]
    [again] = assign(client, people["sup"], case_ids=[pooled], to_user="karma")
    [same] = assign(client, people["sup"], case_ids=[pooled], to_user="karma")
    assert (again["result"], same["result"]) == ("assigned", "unchanged")


def test_needs_supervisor_case_can_be_returned_to_the_pool(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    stopped = seed_case(ctx, service_id, state=CaseState.NEEDS_SUPERVISOR)
    [result] = assign(client, people["sup"], case_ids=[stopped], to_user=None)
    assert result["result"] == "returned"
    assert load_case(ctx, stopped).state == CaseState.QUEUED


def test_assign_refuses_people_who_cannot_take_cases(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int,
        make_user: Callable[..., int]) -> None:
    case_id = seed_case(ctx, service_id)
    make_user("gone")
    with transaction(ctx.sessions) as session:
        session.scalar(select(User).where(User.username == "gone")).active = False
    for who, why in (("sup", "not an enumerator"), ("ana", "not an enumerator"),
                     ("ghost", "not an enumerator"), ("gone", "deactivated")):
        response = client.post("/v1/cases/assign", headers=people["sup"],
                               json={"case_ids": [case_id], "to_user": who})
        assert why in assert_error(response, 422)["detail"]
    assert load_case(ctx, case_id).assignment_version == 0


@pytest.mark.parametrize("body", [
    {"case_ids": []},
    {"case_ids": list(range(1, 1002)), "to_user": "pema"},
    {"case_ids": ["one"], "to_user": "pema"},
    {"case_ids": [1], "to_user": "pema", "forse": True},
    {"case_ids": [1], "reason": "x" * 201},
    [1, 2],
])
def test_malformed_assign_bodies_get_422(client: TestClient, people: dict[str, Any],
                                         body: Any) -> None:
    body = assert_error(client.post("/v1/cases/assign", json=body, headers=people["sup"]), 422)
    assert body["error"] == "invalid" and body["fields"]


def test_unparseable_json_gets_422(client: TestClient, people: dict[str, Any]) -> None:
    response = client.post("/v1/cases/assign", content=b"{not json",
                           headers={**people["sup"], "Content-Type": "application/json"})
    assert_error(response, 422)


# --- priority ------------------------------------------------------------------------------


def test_priority_changes_count_and_reach_the_holder(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    karma = people["ids"]["karma"]
    cases = [seed_case(ctx, service_id, priority=p) for p in (50, 80, 50)]
    give(ctx, cases[0], karma)
    response = client.post("/v1/cases/priority", headers=people["sup"],
                           json={"case_ids": [*cases, 424242], "priority": 80})
    assert response.status_code == 200 and response.json() == {"changed": 2}
    assert [load_case(ctx, c).priority for c in cases] == [80, 80, 80]
    [upsert] = feed(ctx, karma, ChangeType.case_upsert)
    assert upsert.body["priority"] == 80
    assert len(audits(ctx, "case.priority", cases[2])) == 1
    assert audits(ctx, "case.priority", cases[1]) == []
    assert_error(client.post("/v1/cases/priority", headers=people["sup"],
                             json={"case_ids": cases, "priority": 101}), 422)


def test_assignment_keeps_the_attempt_history_in_the_new_holders_view(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    karma = people["ids"]["karma"]
    case_id = seed_case(ctx, service_id, attempt_count=1)
    give(ctx, case_id, karma)
    with transaction(ctx.sessions) as session:
        session.add(ContactAttempt(
            item_uuid="a1", case_id=case_id, service_id=service_id, user_id=karma,
            device_id="dev-karma",
            assignment_version=1, started_at=ctx.clock.now() - timedelta(hours=3),
            outcome="no_answer", aapor_code="3.13", received_at=ctx.clock.now()))
    assign(client, people["sup"], case_ids=[case_id], to_user="pema", force=True,
           reason="rebalancing")
    [upsert] = feed(ctx, people["ids"]["pema"], ChangeType.case_upsert)
    [attempt] = QueueCase.model_validate(upsert.body).attempts
    assert (attempt.outcome, attempt.enumerator) == ("no_answer", "karma")


# --- conflicts and review (versions seeded through the ORM) --------------------------------


def test_conflict_list_detail_and_resolution(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    karma, pema = people["ids"]["karma"], people["ids"]["pema"]
    case_id = seed_case(ctx, service_id, state=CaseState.NEEDS_SUPERVISOR)
    first = seed_version(ctx, case_id, karma, primary=True, completion="partial")
    second = seed_version(ctx, case_id, pema, primary=False,
                          answers={"consent": "yes", "q1": "2", "q2": "", "q3": "5"})
    conflict_id = seed_conflict(ctx, case_id, [first.version_uuid, second.version_uuid])
    sup = people["sup"]

    listed = client.get("/v1/conflicts", headers=sup).json()
    assert listed["total"] == 1
    [summary] = listed["conflicts"]
    assert (summary["id"], summary["case_id"], summary["kind"]) == (
        conflict_id, case_id, "double_completion")
    assert [(v["enumerator"], v["completion"], v["answered"]) for v in summary["versions"]] == [
        ("karma", "partial", 2), ("pema", "complete", 3)]
    detail = client.get(f"/v1/conflicts/{conflict_id}", headers=sup).json()
    assert detail["versions"][1]["answers"]["q3"] == "5"
    assert detail["case_state"] == "needs_supervisor"

    for bad, status in (({"primary_version_uuid": "nope", "resolution": "x"}, 422),
                        ({"primary_version_uuid": second.version_uuid}, 422)):
        assert_error(client.post(f"/v1/conflicts/{conflict_id}/resolve", json=bad,
                                 headers=sup), status)
    response = client.post(f"/v1/conflicts/{conflict_id}/resolve", headers=sup, json={
        "primary_version_uuid": second.version_uuid, "resolution": "pema's is complete"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "resolved"
    assert primaries(ctx, case_id) == [second.version_uuid]
    case = load_case(ctx, case_id)
    assert (case.state, case.disposition, case.disposition_code) == (
        CaseState.CLOSED, "complete", "1.1")
    assert len(audits(ctx, "conflict.resolve", conflict_id)) == 1
    assert client.get("/v1/conflicts", headers=sup).json()["total"] == 0
    assert client.get("/v1/conflicts", params={"status": "resolved"},
                      headers=sup).json()["total"] == 1
    again = client.post(f"/v1/conflicts/{conflict_id}/resolve", headers=sup, json={
        "primary_version_uuid": first.version_uuid, "resolution": "changed my mind"})
    assert_error(again, 409)
    assert_error(client.get("/v1/conflicts/987654", headers=sup), 404)


def test_conflict_without_interview_returns_the_case_to_the_pool(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    case_id = seed_case(ctx, service_id, state=CaseState.NEEDS_SUPERVISOR, attempt_count=2)
    conflict_id = seed_conflict(ctx, case_id, [])
    response = client.post(f"/v1/conflicts/{conflict_id}/resolve", headers=people["sup"],
                           json={"resolution": "call again"})
    assert response.status_code == 200, response.text
    case = load_case(ctx, case_id)
    assert (case.state, case.pool, case.holder_id) == (CaseState.QUEUED, "retry", None)


def test_reject_sends_the_interview_back_to_its_enumerator(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    karma, pema = people["ids"]["karma"], people["ids"]["pema"]
    case_id = seed_case(ctx, service_id)
    give(ctx, case_id, pema)  # someone else holds the case now
    version = seed_version(ctx, case_id, karma, primary=True)
    url = f"/v1/interviews/{version.interview_uuid}"
    assert_error(client.post(f"{url}/reject", json={}, headers=people["sup"]), 422)
    assert_error(client.post(f"{url}/reject", json={"comment": "  "}, headers=people["sup"]),
                 422)

    response = client.post(f"{url}/reject", headers=people["sup"],
                           json={"comment": "q1 was read wrongly: ask again"})
    assert response.status_code == 200, response.text
    assert response.json()["review_status"] == "rejected"
    assert response.json()["holder"] == "karma"
    case = load_case(ctx, case_id)
    assert (case.state, case.holder_id, case.assignment_version) == (CaseState.HELD, karma, 3)
    assert case.correction == {"interview_uuid": version.interview_uuid,
                               "version_uuid": version.version_uuid,
                               "comment": "q1 was read wrongly: ask again",
                               "answers": version.answers, "questionnaire_id": "set",
                               "questionnaire_version": 1}
    assert [c.type for c in feed(ctx, pema)][-1] == ChangeType.case_revoked.value
    # sent once: in the case's view, the only entry the reject writes to karma's feed
    [upsert] = [c for c in feed(ctx, karma) if c.type != ChangeType.questionnaire_available.value]
    assert upsert.type == ChangeType.case_upsert.value
    correction = QueueCase.model_validate(upsert.body).correction
    assert correction is not None and correction.model_dump() == case.correction
    assert correction.answers["q1"] == "4"
    assert len(audits(ctx, "interview.reject", version.version_uuid)) == 1
    assert_error(client.post(f"{url}/reject", json={"comment": "again"},
                             headers=people["sup"]), 409)
    assert_error(client.post(f"{url}/approve", headers=people["sup"]), 409)


def test_approve_marks_the_primary_version(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    karma = people["ids"]["karma"]
    case_id = seed_case(ctx, service_id, state=CaseState.CLOSED)
    old = seed_version(ctx, case_id, karma, primary=False)
    current = seed_version(ctx, case_id, karma, primary=True,
                           interview_uuid=old.interview_uuid)
    response = client.post(f"/v1/interviews/{old.interview_uuid}/approve", headers=people["sup"],
                           json={"comment": "fine"})
    assert response.status_code == 200, response.text
    assert response.json()["version_uuid"] == current.version_uuid
    with transaction(ctx.sessions) as session:
        statuses = dict(session.execute(select(InterviewVersion.version_uuid,
                                               InterviewVersion.review_status)).all())
    assert statuses == {old.version_uuid: "pending", current.version_uuid: "approved"}
    assert len(audits(ctx, "interview.approve", current.version_uuid)) == 1
    assert load_case(ctx, case_id).state == CaseState.CLOSED
    assert_error(client.post(f"/v1/interviews/{uuid.uuid4()}/approve",
                             headers=people["sup"]), 404)


def test_review_list_shows_pending_primary_versions_with_paging(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    karma, pema = people["ids"]["karma"], people["ids"]["pema"]
    other_service = seed_cid_service(ctx, code="MOVE", name="Move-in/Move-out")
    first = seed_case(ctx, service_id, state=CaseState.CLOSED)
    second = seed_case(ctx, other_service, state=CaseState.CLOSED)
    third = seed_case(ctx, service_id, state=CaseState.CLOSED)
    superseded = seed_version(ctx, first, karma, primary=False)
    waiting = seed_version(ctx, first, karma, primary=True,
                           interview_uuid=superseded.interview_uuid,
                           answers={"consent": "yes", "q1": "5"})
    moved = seed_version(ctx, second, pema, primary=True, completion="partial")
    approved = seed_version(ctx, third, pema, primary=True)
    client.post(f"/v1/interviews/{approved.interview_uuid}/approve", headers=people["sup"])

    def listed(**params: Any) -> dict[str, Any]:
        response = client.get("/v1/interviews", params=params, headers=people["sup"])
        assert response.status_code == 200, response.text
        return response.json()

    pending = listed()
    assert pending["total"] == 2
    assert [i["version_uuid"] for i in pending["interviews"]] == [waiting.version_uuid,
                                                                 moved.version_uuid]
    row = pending["interviews"][0]
    assert (row["interview_uuid"], row["case_id"], row["service_code"], row["enumerator"],
            row["completion"], row["problems"]) == (
        waiting.interview_uuid, first, "CID", "karma", "complete", 0)
    assert row["answers"] == {"consent": "yes", "q1": "5"} and row["ended_at"]
    assert [i["case_id"] for i in listed(service="MOVE")["interviews"]] == [second]
    page = listed(limit=1, offset=1)
    assert page["total"] == 2 and [i["case_id"] for i in page["interviews"]] == [second]
    assert [i["version_uuid"] for i in listed(review_status="approved")["interviews"]] == [
        approved.version_uuid]
    assert listed(service="NONE") == {"total": 0, "interviews": []}
    assert_error(client.get("/v1/interviews", params={"review_status": "maybe"},
                            headers=people["sup"]), 422)
    assert_error(client.get("/v1/interviews", params={"limit": 0}, headers=people["sup"]), 422)


def test_matching_cases_lists_every_case_the_filters_match_without_personal_data(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    other = seed_cid_service(ctx, "MOVE", "Move-in/Move-out")
    first = seed_case(ctx, service_id)
    held = seed_case(ctx, service_id)
    seed_case(ctx, other)
    give(ctx, held, people["ids"]["karma"])
    found = client.get("/v1/cases/matching", params={"service": "CID"},
                       headers=people["sup"]).json()
    assert found["total"] == 2
    assert found["cases"] == [
        {"case_id": first, "state": "queued", "holder": None, "priority": 50},
        {"case_id": held, "state": "held", "holder": "karma", "priority": 50}]
    only_held = client.get("/v1/cases/matching", params={"holder": "karma"},
                           headers=people["sup"]).json()
    assert [c["case_id"] for c in only_held["cases"]] == [held]
