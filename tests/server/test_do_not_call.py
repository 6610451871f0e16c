"""The do-not-call register (issue 15, both backends): who may list, add and remove; the full
number never leaves the server (replies and audit); an added number withdraws the open cases it
leaves without a number (the holder is told through the feed); "never call me" pushed twice adds
once; an import leaves register numbers out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cati_app.core.protocol import ChangeType, Role
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import AuditEntry, Case, CaseState, DoNotCall
from cati_app.server.services.cases import do_not_call_register
from cati_app.server.services.cases.sample_import import import_sample
from cati_app.server.services.cases.sample_readers import sheet_from_records
from tests.support.constants import TUESDAY_10AM
from tests.support.factories import (
    assert_error,
    attempt_item,
    claim_body,
    feed,
    give,
    load_case,
    push_body,
    seed_case,
    seed_cid_service,
)

MOBILE = "+97517654321"
OTHER = "+97577112233"


@pytest.fixture
def people(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
           ) -> dict[str, Any]:
    ids = {"sup": make_user("sup", Role.supervisor), "boss": make_user("boss", Role.admin),
           "karma": make_user("karma"), "ana": make_user("ana", Role.analyst)}
    return {"ids": ids, "sup": login("sup"), "boss": login("boss"), "karma": login("karma"),
            "ana": login("ana")}


@pytest.fixture
def service_id(ctx: AppContext) -> int:
    return seed_cid_service(ctx)


def add(client: TestClient, headers: dict[str, str], phone: str = "17 65 43 21",
        **body: Any) -> dict[str, Any]:
    r = client.post("/v1/do-not-call", json={"phone": phone, **body}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def entries(ctx: AppContext) -> list[DoNotCall]:
    with ctx.sessions() as session:
        return list(session.scalars(select(DoNotCall).order_by(DoNotCall.id)))


def register_audit(ctx: AppContext) -> list[AuditEntry]:
    with ctx.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "do_not_call").order_by(AuditEntry.id)))


def test_supervisor_adds_lists_masked_and_admin_removes_with_a_reason(
        client: TestClient, ctx: AppContext, people: dict[str, Any]) -> None:
    added = add(client, people["sup"], reason="asked RCSC on 17654321 by letter")
    again = add(client, people["boss"], "+975-17-654321", source="supervisor")

    assert added["phone_masked"] == "+975 17•••••21" and not added["already_listed"]
    assert added["source"] == "request" and added["added_by"] == "sup"
    assert again["already_listed"] and again["id"] == added["id"]
    assert "[phone]" in added["reason"]  # a number typed into the reason is masked too
    listed = client.get("/v1/do-not-call", headers=people["sup"]).json()
    assert listed["total"] == 1 and listed["entries"][0]["id"] == added["id"]

    path = f"/v1/do-not-call/{added['id']}/remove"
    assert_error(client.post(path, json={"reason": "wrong number"}, headers=people["sup"]), 403)
    assert_error(client.post(path, json={"reason": ""}, headers=people["boss"]), 422)
    removed = client.post(path, json={"reason": "added by mistake"}, headers=people["boss"])
    assert removed.status_code == 200, removed.text
    assert removed.json()["removed_by"] == "boss" and removed.json()["removed_at"]
    assert_error(client.post(path, json={"reason": "twice"}, headers=people["boss"]), 409)
    assert client.get("/v1/do-not-call", headers=people["sup"]).json()["total"] == 0
    # the row stays as history, and the number can go back on
    assert [e.removal_reason for e in entries(ctx)] == ["added by mistake"]
    assert not add(client, people["sup"])["already_listed"]
    assert len(entries(ctx)) == 2


def test_roles_outside_supervision_cannot_read_or_add(
        client: TestClient, people: dict[str, Any]) -> None:
    for who in ("karma", "ana"):
        assert_error(client.get("/v1/do-not-call", headers=people[who]), 403)
        assert_error(client.post("/v1/do-not-call", json={"phone": MOBILE},
                                 headers=people[who]), 403)


def test_bad_input_gets_a_message_a_person_can_act_on(
        client: TestClient, people: dict[str, Any]) -> None:
    bad = assert_error(client.post("/v1/do-not-call", json={"phone": "12345"},
                                   headers=people["sup"]), 422)
    assert "cannot go on the register" in bad["detail"]
    system = assert_error(client.post("/v1/do-not-call", json={
        "phone": MOBILE, "source": "sms_stop"}, headers=people["sup"]), 422)
    assert "request, supervisor" in system["detail"]
    search = assert_error(client.get("/v1/do-not-call", params={"last_digits": "4x"},
                                     headers=people["sup"]), 422)
    assert "last 1 to 4 digits" in search["detail"]
    assert_error(client.post("/v1/do-not-call/99999/remove", json={"reason": "gone"},
                             headers=people["boss"]), 404)


def test_search_by_last_digits_and_paging(client: TestClient, people: dict[str, Any]) -> None:
    for number in ("17000011", "17000022", "77000111", "2323411"):
        add(client, people["sup"], number)
    found = client.get("/v1/do-not-call", params={"last_digits": "11"},
                       headers=people["sup"]).json()
    assert sorted(e["phone_masked"] for e in found["entries"]) == [
        "+975 17•••••11", "+975 2•••••11", "+975 77•••••11"]
    page = client.get("/v1/do-not-call", params={"limit": 2, "offset": 2},
                      headers=people["sup"]).json()
    assert page["total"] == 4 and len(page["entries"]) == 2
    too_long = client.get("/v1/do-not-call", params={"last_digits": "00011"},
                          headers=people["sup"])
    assert too_long.status_code == 422


def test_the_full_number_never_reaches_a_reply_or_the_audit(
        client: TestClient, ctx: AppContext, people: dict[str, Any]) -> None:
    replies = [client.post("/v1/do-not-call", json={"phone": MOBILE}, headers=people["sup"]),
               client.post("/v1/do-not-call", json={"phone": MOBILE}, headers=people["sup"]),
               client.get("/v1/do-not-call", headers=people["sup"]),
               client.get("/v1/audit", params={"action": "do_not_call"},
                          headers=people["sup"])]
    entry_id = replies[0].json()["id"]
    replies.append(client.post(f"/v1/do-not-call/{entry_id}/remove",
                               json={"reason": "the owner asked again"}, headers=people["boss"]))
    replies.append(client.get("/v1/audit", headers=people["boss"]))
    national = MOBILE.removeprefix("+975")
    for reply in replies:
        assert reply.status_code == 200, reply.text
        assert national not in reply.text and national[2:] not in reply.text
    details = [json.dumps(a.details, ensure_ascii=False) for a in register_audit(ctx)]
    assert [a.action for a in register_audit(ctx)] == ["do_not_call.add", "do_not_call.remove"]
    assert all(national[2:] not in d for d in details) and "17•••••21" in details[0]


def test_adding_withdraws_queued_and_held_cases_and_tells_the_holder(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    queued = seed_case(ctx, service_id, phone1=MOBILE, phone2=None)
    held = seed_case(ctx, service_id, phone1=OTHER, phone2=MOBILE)
    kept = seed_case(ctx, service_id, phone1=MOBILE, phone2="+97517999888")
    waiting = seed_case(ctx, service_id, phone1=MOBILE, phone2=None,
                        state=CaseState.NEEDS_SUPERVISOR)
    karma = people["ids"]["karma"]
    give(ctx, held, karma)
    give(ctx, kept, karma)
    add(client, people["sup"], OTHER, source="supervisor")  # held: one number still allowed
    assert load_case(ctx, held).state == CaseState.HELD

    reply = add(client, people["sup"], MOBILE)

    assert reply["cases_withdrawn"] == 2
    for case_id, disposition in ((queued, "register_refusal"), (held, "register_refusal")):
        case = load_case(ctx, case_id)
        assert case.state == CaseState.CLOSED and case.holder_id is None
        assert (case.disposition, case.disposition_code) == (disposition, "2.11")
    assert load_case(ctx, kept).state == CaseState.HELD  # another number is still allowed
    assert load_case(ctx, waiting).state == CaseState.NEEDS_SUPERVISOR  # the supervisor's
    revoked = [c.case_id for c in feed(ctx, karma, ChangeType.case_revoked)]
    assert revoked == [held]
    # the holder of the kept case gets it again (the claim's view of its numbers)
    assert kept in [c.case_id for c in feed(ctx, karma, ChangeType.case_upsert)]
    withdrawals = [a for a in _audits(ctx, "case.withdraw")]
    assert sorted(int(a.entity_id) for a in withdrawals) == sorted([queued, held])


def test_a_supervisors_own_decision_closes_as_other(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    case_id = seed_case(ctx, service_id, phone1=MOBILE, phone2=None)
    assert add(client, people["sup"], MOBILE, source="supervisor")["cases_withdrawn"] == 1
    case = load_case(ctx, case_id)
    assert (case.disposition, case.disposition_code, case.state) == (
        "register_other", "2.30", CaseState.CLOSED)


def test_never_call_me_pushed_twice_adds_once_and_withdraws_the_other_service(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    called = seed_case(ctx, service_id, phone1=MOBILE, phone2=OTHER)
    elsewhere = seed_case(ctx, seed_cid_service(ctx, "MOVE", "Move-in"), phone1=MOBILE,
                          phone2=None)
    karma = people["karma"]
    grant = client.post("/v1/queue/claim", json=claim_body(5, "dev-karma"), headers=karma)
    assert grant.status_code == 200, grant.text
    granted = {c["case_id"]: c for c in grant.json()["cases"]}
    assert set(granted) == {called, elsewhere}
    case = granted[called]
    body = push_body([attempt_item(case, TUESDAY_10AM, "never_call")], "dev-karma")

    first = client.post("/v1/sync/push", json=body, headers=karma).json()["results"][0]
    second = client.post("/v1/sync/push", json=body, headers=karma).json()["results"][0]

    assert first["status"] == "stored" and second["status"] == "duplicate"
    assert [(e.phone, e.source) for e in entries(ctx)] == [(MOBILE, "respondent")]
    assert load_case(ctx, called).disposition == "never_call"
    assert load_case(ctx, called).state == CaseState.CLOSED
    other = load_case(ctx, elsewhere)
    assert (other.state, other.disposition) == (CaseState.CLOSED, "register_refusal")
    # karma held it too: their device learns it left, though karma's own call closed it
    revoked = [c.case_id for c in feed(ctx, people["ids"]["karma"], ChangeType.case_revoked)]
    assert revoked == [elsewhere]
    # the second number of the case called is not the respondent's wish: it stays off
    assert OTHER not in {e.phone for e in entries(ctx)}


def test_the_server_only_outcomes_cannot_be_pushed(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    seed_case(ctx, service_id)
    grant = client.post("/v1/queue/claim", json=claim_body(1, "dev-karma"),
                        headers=people["karma"]).json()
    item = attempt_item(grant["cases"][0], TUESDAY_10AM, "register_refusal")
    result = client.post("/v1/sync/push", json=push_body([item], "dev-karma"),
                         headers=people["karma"]).json()["results"][0]
    assert result["status"] == "rejected_invalid" and "set by the server" in result["detail"]


def test_an_import_leaves_register_numbers_out(ctx: AppContext, service_id: int) -> None:
    with transaction(ctx.sessions) as session:
        do_not_call_register.add(session, MOBILE, source="sms_stop", at=ctx.clock.now(),
                                 by=None)
    sheet = sheet_from_records([
        {"name": "Blocked Only", "phone": "17654321"},
        {"name": "Has Another", "phone": "17654321", "phone2": "77112233"},
        {"name": "Clean", "phone": "17111222"},
    ], ["name", "phone", "phone2"], "list.csv")
    with transaction(ctx.sessions) as session:
        report = import_sample(session, sheet, service_code="CID", at=ctx.clock.now())

    assert (report.imported, report.rejected) == (2, 1)
    assert (report.do_not_call_rejected, report.do_not_call_dropped) == (1, 1)
    problem = report.problems[0]
    assert problem.row == 2 and "do-not-call register" in problem.reason
    assert "654321" not in problem.value
    with ctx.sessions() as session:
        phones = sorted((c.phone1, c.phone2) for c in session.scalars(select(Case)))
    assert phones == [("+97517111222", None), ("+97577112233", None)]


def _audits(ctx: AppContext, action: str) -> list[AuditEntry]:
    with ctx.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_never_call_on_a_number_the_register_cannot_hold_still_stores_the_call(
        client: TestClient, ctx: AppContext, people: dict[str, Any], service_id: int) -> None:
    """A case whose number is not Bhutanese (entered by hand on the server, never imported):
    the call is stored and the case closed; the batch does not fail over the register."""
    case_id = seed_case(ctx, service_id, phone1="+442071234567", phone2=None)
    grant = client.post("/v1/queue/claim", json=claim_body(1, "dev-karma"),
                        headers=people["karma"]).json()
    item = attempt_item(grant["cases"][0], TUESDAY_10AM, "never_call")
    result = client.post("/v1/sync/push", json=push_body([item], "dev-karma"),
                         headers=people["karma"]).json()["results"][0]
    assert result["status"] == "stored"
    assert load_case(ctx, case_id).disposition == "never_call" and entries(ctx) == []
