"""Complaint tickets from pushed interviews (issue 16): one ticket per interview under replay
and correction, on both push strategies; the workflow with its audit; the call-back queued
once and its answer written on the ticket; the API's roles."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from cati_app.core.clock import to_thimphu
from cati_app.server.models import AuditEntry, Case, Service, Ticket
from cati_app.server.services.sync import push as push_service
from tests.server.disposition_flow import as_held, claim, correct, make_people, push
from tests.server.export_seed import download, sheet_rows
from tests.support.factories import (
    COMPLETE_ANSWERS,
    assert_error,
    interview_item,
    push_body,
    seed_cases,
    seed_service,
)

COMPLAINT = {**COMPLETE_ANSWERS, "complaint": "yes", "complaint_callback": "yes",
             "complaint_text": "The clerk asked for a bribe. Call me on +975 17 12 34 56"}


@pytest.fixture
def people(make_user, login) -> dict[str, Any]:
    return make_people(make_user, login)


def tickets(ctx) -> list[Ticket]:
    with ctx.sessions() as s:
        return list(s.scalars(select(Ticket).order_by(Ticket.id)))


def ticket_audit(ctx, ticket_id: int) -> list[str]:
    with ctx.sessions() as s:
        return list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity == "ticket", AuditEntry.entity_id == str(ticket_id))
            .order_by(AuditEntry.id)))


@pytest.mark.parametrize("fast", [True, False], ids=["bulk", "per-item"])
def test_a_complaint_opens_one_ticket_even_when_replayed(ctx, client, people, monkeypatch,
                                                         fast: bool) -> None:
    monkeypatch.setattr(push_service, "FAST_PATH", fast)
    used: list[bool] = []
    real = push_service.push_fast
    monkeypatch.setattr(push_service, "push_fast", lambda *a, **k: used.append(
        (result := real(*a, **k)) is not None) or result)
    seed_cases(ctx, seed_service(ctx), 2)
    case, other = claim(client, people["one"], 2)
    now = ctx.clock.now()
    body = push_body([interview_item(case, now - timedelta(minutes=10), COMPLAINT),
                      interview_item(other, now - timedelta(minutes=10))])
    for _ in range(2):  # the reply was lost: the device sends the same batch again
        r = client.post("/v1/sync/push", json=body, headers=people["one"])
        assert r.status_code == 200, r.text
    assert used[:1] == ([True] if fast else [])  # the bulk strategy wrote the first push
    [ticket] = tickets(ctx)
    assert ticket.text == "The clerk asked for a bribe. Call me on [phone]"
    assert (ticket.category, ticket.state, ticket.channel) == ("integrity", "open", "cati")
    assert (ticket.case_id, ticket.consent_to_follow_up) == (case["case_id"], True)
    assert (ticket.office, ticket.dzongkhag) == ("Thimphu", "Thimphu")
    assert ticket.reported_on == to_thimphu(now - timedelta(minutes=10)).date()
    assert ticket.interview_uuid == body["items"][0]["payload"]["interview_uuid"]
    assert ticket_audit(ctx, ticket.id) == ["ticket.open"]


def test_a_correction_updates_the_same_ticket(ctx, client, people) -> None:
    seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    first = interview_item(case, ctx.clock.now() - timedelta(minutes=10), COMPLAINT)
    assert push(client, people["one"], [first])[0]["status"] == "stored"
    corrected = {**COMPLAINT, "complaint_text": "Staff were rude at counter 3",
                 "complaint_callback": "no"}
    correct(ctx, client, {"boss": people["boss"], "one": people["one"]}, case["case_id"],
            first, corrected)
    [ticket] = tickets(ctx)
    assert ticket.text == "Staff were rude at counter 3"
    assert (ticket.category, ticket.consent_to_follow_up) == ("staff_attitude", False)
    assert ticket_audit(ctx, ticket.id) == ["ticket.open", "ticket.correct"]


def test_no_ticket_without_a_complaint_text(ctx, client, people) -> None:
    seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    stale = {**COMPLETE_ANSWERS, "complaint": "no", "complaint_text": "left from a yes"}
    push(client, people["one"], [interview_item(case, ctx.clock.now(), stale)])
    assert tickets(ctx) == []


def _one_ticket(ctx, client, people, answers: dict[str, Any] = COMPLAINT) -> tuple[int, int]:
    seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    push(client, people["one"], [interview_item(case, ctx.clock.now(), answers)])
    [ticket] = tickets(ctx)
    return ticket.id, case["case_id"]


def change(client, auth, ticket_id: int, **body: Any):
    return client.post(f"/v1/tickets/{ticket_id}/state", json=body, headers=auth)


def test_workflow_rules_and_audit(ctx, client, people) -> None:
    ticket_id, _ = _one_ticket(ctx, client, people, {**COMPLAINT, "complaint_callback": "no"})
    boss = people["boss"]
    assert_error(change(client, boss, ticket_id, state="acknowledged"), 422)  # no note
    r = change(client, boss, ticket_id, state="acknowledged", note="Passed to the office")
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["note"]) == ("acknowledged", "Passed to the office")
    assert_error(change(client, boss, ticket_id, state="open", note="back"), 409)
    assert_error(change(client, boss, ticket_id, state="acknowledged", note="again"), 409)
    r = change(client, boss, ticket_id, state="acknowledged", note="a wait, not a bribe",
               category="delay")
    assert r.json()["category"] == "delay"
    assert_error(change(client, boss, ticket_id, state="resolved", note="x",
                        category="weather"), 422)
    r = change(client, boss, ticket_id, state="resolved", note="Clerk warned")
    assert r.json()["state"] == "resolved" and r.json()["resolved_at"]
    r = change(client, boss, ticket_id, state="open", note="It happened again")  # reopen
    assert (r.json()["state"], r.json()["resolved_at"]) == ("open", None)
    assert ticket_audit(ctx, ticket_id) == ["ticket.open"] + ["ticket.change"] * 4
    with ctx.sessions() as s:
        details = s.scalars(select(AuditEntry.details).where(
            AuditEntry.action == "ticket.change").order_by(AuditEntry.id)).all()
    assert details[0]["from"]["state"] == "open" and details[0]["note"] == "Passed to the office"
    assert [t.case_id for t in tickets(ctx)] != [None]  # no call-back without consent
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1


def _call_back_cases(ctx) -> list[Case]:
    with ctx.sessions() as s:
        return list(s.scalars(select(Case).join(Service, Service.id == Case.service_id)
                              .where(Service.code == "CID-FU")))


def test_a_resolved_ticket_with_consent_queues_one_call_back(ctx, client, people) -> None:
    ticket_id, case_id = _one_ticket(ctx, client, people)
    boss = people["boss"]
    assert change(client, boss, ticket_id, state="resolved", note="Refunded").status_code == 200
    assert_error(change(client, boss, ticket_id, state="resolved", note="twice"), 409)
    [call_back] = _call_back_cases(ctx)
    with ctx.sessions() as s:
        original = s.get_one(Case, case_id)
        service = s.get_one(Service, call_back.service_id)
        assert (call_back.phone1, call_back.respondent_name, call_back.office) == (
            original.phone1, original.respondent_name, original.office)
        assert (call_back.state, service.questionnaire_id) == ("queued", "complaint_followup")
        assert s.get_one(Ticket, ticket_id).follow_up_case_id == call_back.id
    # reopened and resolved again while the call-back is still open: no second call-back
    change(client, boss, ticket_id, state="open", note="not fixed after all")
    change(client, boss, ticket_id, state="resolved", note="fixed now")
    assert len(_call_back_cases(ctx)) == 1
    assert "ticket.call_back_skipped" in ticket_audit(ctx, ticket_id)


def test_the_call_back_answer_is_written_on_the_ticket(ctx, client, people) -> None:
    ticket_id, _ = _one_ticket(ctx, client, people)
    change(client, people["boss"], ticket_id, state="resolved", note="Refunded")
    [call_back] = claim(client, people["one"], 5)
    assert call_back["questionnaire_id"] == "complaint_followup"
    item = interview_item(call_back, ctx.clock.now(), {
        "consent": "yes", "fixed": "partly", "follow_up_comment": "Paid back half; 77123456"})
    item["payload"]["questionnaire_id"] = "complaint_followup"
    assert push(client, people["one"], [item])[0]["status"] == "stored"
    r = client.get(f"/v1/tickets/{ticket_id}", headers=people["ana"])
    assert r.json()["follow_up"] == "partly fixed: Paid back half; [phone]"
    assert "ticket.follow_up" in ticket_audit(ctx, ticket_id)


def test_list_filters_and_pages(ctx, client, people) -> None:
    ticket_id, _ = _one_ticket(ctx, client, people)
    ana = people["ana"]
    page = client.get("/v1/tickets", headers=ana).json()
    assert page["total"] == 1 and page["tickets"][0]["id"] == ticket_id
    assert page["tickets"][0]["service_code"] == "CID"
    assert page["tickets"][0]["agency"] == "DCRC"
    for query, total in (("state=open", 1), ("state=resolved", 0), ("service=cid", 1),
                         ("service=MIMO", 0), ("office=Thimphu", 1), ("office=Paro", 0),
                         ("agency=DCRC", 1), ("agency=Other", 0)):
        assert client.get(f"/v1/tickets?{query}", headers=ana).json()["total"] == total, query
    assert_error(client.get("/v1/tickets?state=closed", headers=ana), 422)
    assert_error(client.get("/v1/tickets/999999", headers=ana), 404)


def test_roles(ctx, client, people) -> None:
    ticket_id, _ = _one_ticket(ctx, client, people)
    assert_error(client.get("/v1/tickets", headers=people["one"]), 403)
    assert_error(client.get(f"/v1/tickets/{ticket_id}", headers=people["one"]), 403)
    assert client.get(f"/v1/tickets/{ticket_id}", headers=people["ana"]).status_code == 200
    # analysts read; supervisors and admins change
    assert_error(change(client, people["ana"], ticket_id, state="resolved", note="n"), 403)
    assert_error(change(client, people["one"], ticket_id, state="resolved", note="n"), 403)
    assert_error(client.get("/v1/tickets"), 401)


def test_a_second_interview_of_the_case_opens_no_second_ticket(ctx, client, people) -> None:
    seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    push(client, people["one"], [interview_item(case, ctx.clock.now(), COMPLAINT)])
    again = interview_item(as_held(ctx, case["case_id"]), ctx.clock.now(), COMPLAINT)
    [result] = push(client, people["one"], [again])
    assert result["status"] in ("stored", "stored_conflict"), result
    assert len(tickets(ctx)) == 1


def test_the_workbook_lists_tickets_as_plain_masked_data(ctx, client, people) -> None:
    ticket_id, case_id = _one_ticket(ctx, client, people)
    change(client, people["boss"], ticket_id, state="resolved", note="Clerk warned")
    book = openpyxl.load_workbook(io.BytesIO(download(client, people["ana"])))
    [row] = sheet_rows(book, "Complaint tickets", "Ticket")
    assert (row["Ticket"], row["Service"], row["Agency"], row["Office"]) == (
        ticket_id, "CID", "DCRC", "Thimphu")
    assert (row["Category"], row["State"], row["Last note"]) == (
        "integrity", "resolved", "Clerk warned")
    assert row["Complaint"] == "The clerk asked for a bribe. Call me on [phone]"
    assert (row["Call-back agreed"], row["Days to resolve"]) == ("yes", 0)
    with ctx.sessions() as s:
        case = s.get_one(Case, case_id)
        personal = {case.respondent_name, case.phone1, case.phone1[4:]}
    cells = [str(c.value) for r in book["Complaint tickets"].iter_rows() for c in r]
    assert not [c for c in cells if any(p in c for p in personal)]
    other = download(client, people["ana"], service="CID-FU")  # the call-back's service
    assert sheet_rows(openpyxl.load_workbook(io.BytesIO(other)), "Complaint tickets",
                      "Ticket") == []


def test_an_agency_account_reads_and_moves_its_own_agencys_tickets_only(
        ctx, client, people, make_user, login) -> None:
    ticket_id, _ = _one_ticket(ctx, client, people)
    with ctx.sessions() as s:  # a ticket row has no agency: its service has
        agency = s.get_one(Service, tickets(ctx)[0].service_id).agency
    make_user("desk", "agency", agency=agency)
    make_user("stranger", "agency", agency="Another Agency")
    own, other = login("desk"), login("stranger")
    page = client.get("/v1/tickets", headers=own).json()
    assert [t["id"] for t in page["tickets"]] == [ticket_id]
    assert client.get("/v1/tickets", headers=other).json()["tickets"] == []
    assert_error(client.get(f"/v1/tickets/{ticket_id}", headers=other), 404)
    assert_error(client.get(f"/v1/tickets?agency={agency}", headers=other), 403)
    assert_error(change(client, other, ticket_id, state="acknowledged", note="not ours"), 404)
    moved = change(client, own, ticket_id, state="acknowledged", note="we are on it")
    assert moved.status_code == 200, moved.text
    assert moved.json()["state"] == "acknowledged"
    assert ticket_audit(ctx, ticket_id)[-1] == "ticket.change"
