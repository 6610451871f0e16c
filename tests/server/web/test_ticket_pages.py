"""The complaint tickets' web pages (issue 16) through the app, on both backends: an agency
sees and moves only its own agency's tickets, with a note and the session's CSRF token; a
forged POST changes nothing; analysts read only; resolving a ticket whose respondent agreed
queues the call-back; the scorecard page shows each office's complaint figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cati_app.core.protocol import Role
from cati_app.server.context import AppContext
from cati_app.server.models import AuditEntry, Case, Service, Ticket
from tests.support.complaint_tickets import Made, make_tickets
from tests.support.factories import seed_cases, seed_service
from tests.support.scored_interviews import seed_scored_interviews
from tests.support.web_pages import csrf_of, sign_in

DCRC_TEXT = "The clerk asked for a bribe at the counter"
MOICE_TEXT = "The trade office lost my licence file"


@pytest.fixture
def scene(ctx: AppContext, make_user: Callable[..., int]) -> dict[str, int]:
    cid = seed_service(ctx, "CID", "Issuance of New CID Card", agency="DCRC")
    seed_service(ctx, "TRADE", "Trade licence renewal", agency="MOICE")
    make_user("dcrc", Role.agency, agency="DCRC")
    make_user("moice", Role.agency, agency="MOICE")
    make_user("ana", Role.analyst)
    [case] = seed_cases(ctx, cid, 1)
    ids = make_tickets(ctx, [
        Made("CID", "Thimphu DCRC", DCRC_TEXT + ". Call me on 17 12 34 56", timedelta(hours=5),
             consent=True, case_id=case),
        Made("CID", "Paro DCRC", "I waited three weeks for my card", timedelta(hours=8),
             state="acknowledged"),
        Made("TRADE", "Phuntsholing MOICE", MOICE_TEXT, timedelta(hours=3))])
    return {"dcrc": ids[0], "paro": ids[1], "moice": ids[2]}


def state_of(ctx: AppContext, ticket_id: int) -> tuple[str, str]:
    with ctx.sessions() as s:
        row = s.get_one(Ticket, ticket_id)
        return row.state, row.note


def move(client: TestClient, ticket_id: int, state: str, note: str,
         csrf: str | None = "from the page") -> object:
    if csrf == "from the page":
        csrf = csrf_of(client.get(f"/scorecard/tickets/{ticket_id}").text)
    data = {"state": state, "note": note} | ({"csrf": csrf} if csrf is not None else {})
    return client.post(f"/scorecard/tickets/{ticket_id}/state", data=data,
                       follow_redirects=False)


def test_the_agency_sees_only_its_own_tickets_masked(client: TestClient,
                                                     scene: dict[str, int]) -> None:
    sign_in(client, "dcrc")
    page = client.get("/scorecard/tickets")
    assert page.status_code == 200
    assert DCRC_TEXT in page.text and "[phone]" in page.text and "17 12 34 56" not in page.text
    assert MOICE_TEXT not in page.text and "Phuntsholing" not in page.text
    for query in ("?agency=MOICE", "?service=TRADE"):
        assert MOICE_TEXT not in client.get(f"/scorecard/tickets{query}").text
    other = client.get(f"/scorecard/tickets/{scene['moice']}")
    assert other.status_code == 404 and MOICE_TEXT not in other.text
    assert 'aria-current="page">Complaints' in page.text


def test_the_list_filters_by_state_service_and_office(client: TestClient,
                                                      scene: dict[str, int]) -> None:
    sign_in(client, "dcrc")
    acknowledged = client.get("/scorecard/tickets?state=acknowledged").text
    assert f'data-ticket="{scene["paro"]}"' in acknowledged
    assert f'data-ticket="{scene["dcrc"]}"' not in acknowledged
    thimphu = client.get("/scorecard/tickets?office=Thimphu+DCRC&service=CID").text
    assert f'data-ticket="{scene["dcrc"]}"' in thimphu
    assert f'data-ticket="{scene["paro"]}"' not in thimphu
    assert 'data-total="0"' in client.get("/scorecard/tickets?office=Nowhere").text


def test_the_agency_moves_its_ticket_with_a_note_and_it_is_audited(
        ctx: AppContext, client: TestClient, scene: dict[str, int]) -> None:
    sign_in(client, "dcrc")
    ticket = scene["paro"]
    moved = move(client, ticket, "resolved", "New cards printed; the office called him")
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/scorecard/tickets/{ticket}?done=resolved"
    assert state_of(ctx, ticket) == ("resolved", "New cards printed; the office called him")
    page = client.get(moved.headers["location"]).text
    assert 'data-state="resolved"' in page and "New cards printed" in page
    assert page.count('data-action="ticket.change"') == 2  # acknowledged, then resolved
    with ctx.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(
            AuditEntry.entity == "ticket", AuditEntry.entity_id == str(ticket))
            .order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.action == "ticket.change"
    assert entry.details["to"]["state"] == "resolved" and entry.device_id == "web"


def test_a_move_without_a_note_or_backwards_is_refused_with_the_reason(
        ctx: AppContext, client: TestClient, scene: dict[str, int]) -> None:
    sign_in(client, "dcrc")
    empty = move(client, scene["paro"], "resolved", "  ")
    assert empty.status_code == 422 and "write a note" in empty.text
    backwards = move(client, scene["paro"], "open", "changed my mind")
    assert backwards.status_code == 409 and "cannot go from acknowledged" in backwards.text
    assert state_of(ctx, scene["paro"]) == ("acknowledged", "seen")


@pytest.mark.parametrize("csrf", [None, "", "forged-token"], ids=["none", "empty", "forged"])
def test_a_post_without_the_pages_csrf_token_is_403_and_changes_nothing(
        ctx: AppContext, client: TestClient, scene: dict[str, int], csrf: str | None) -> None:
    sign_in(client, "dcrc")
    refused = move(client, scene["dcrc"], "acknowledged", "seen", csrf=csrf)
    assert refused.status_code == 403 and "expired" in refused.text
    assert state_of(ctx, scene["dcrc"]) == ("open", "")


def test_an_analyst_reads_every_agencys_tickets_but_cannot_move_one(
        ctx: AppContext, client: TestClient, scene: dict[str, int]) -> None:
    sign_in(client, "ana")
    listing = client.get("/scorecard/tickets").text
    assert DCRC_TEXT in listing and MOICE_TEXT in listing
    page = client.get(f"/scorecard/tickets/{scene['dcrc']}")
    assert page.status_code == 200 and "move-form" not in page.text
    assert "Analysts read tickets" in page.text
    refused = move(client, scene["dcrc"], "acknowledged", "seen", csrf=csrf_of(page.text))
    assert refused.status_code == 403
    assert state_of(ctx, scene["dcrc"]) == ("open", "")


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient,
                                                 scene: dict[str, int]) -> None:
    for path in ("/scorecard/tickets", f"/scorecard/tickets/{scene['dcrc']}"):
        away = client.get(path, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == "/scorecard/login"
    posted = client.post(f"/scorecard/tickets/{scene['dcrc']}/state",
                         data={"state": "resolved", "note": "x"}, follow_redirects=False)
    assert posted.status_code == 303


def test_resolving_a_consenting_ticket_queues_its_call_back(
        ctx: AppContext, client: TestClient, scene: dict[str, int]) -> None:
    sign_in(client, "dcrc")
    page = client.get(f"/scorecard/tickets/{scene['dcrc']}").text
    assert "queues a short call-back" in page
    assert move(client, scene["dcrc"], "resolved", "Clerk suspended").status_code == 303
    with ctx.sessions() as s:
        ticket = s.get_one(Ticket, scene["dcrc"])
        assert ticket.follow_up_case_id is not None
        call_back = s.get_one(Case, ticket.follow_up_case_id)
        assert s.get_one(Service, call_back.service_id).code == "CID-FU"
    assert "Call-back queued" in client.get(f"/scorecard/tickets/{scene['dcrc']}").text


def test_the_scorecard_page_shows_each_offices_complaints(
        ctx: AppContext, client: TestClient, scene: dict[str, int]) -> None:
    when = ctx.clock.now() - timedelta(hours=6)
    for office in ("Thimphu DCRC", "Paro DCRC"):
        seed_scored_interviews(ctx.sessions, service_code="CID", office=office,
                               dzongkhag=office.split()[0], started_at=when,
                               composites=[4.0, 3.0] * 6)
    sign_in(client, "dcrc")
    page = client.get("/scorecard/?period_kind=month").text
    assert '<tr data-office="Paro DCRC">' in page
    paro = page.split('<tr data-office="Paro DCRC">')[1].split("</tr>")[0]
    assert 'data-complaints="1"' in paro and "0%" in paro
    assert "The complaint tickets reported in the period" in page
    assert "CID-FU" not in page


def test_dzongkha_labels_for_the_ticket_pages(client: TestClient,
                                              scene: dict[str, int]) -> None:
    sign_in(client, "dcrc")
    listing = client.get("/scorecard/tickets?lang=dz").text
    assert 'lang="dz"' in listing and ">Complaints<" not in listing
    page = client.get(f"/scorecard/tickets/{scene['paro']}").text
    assert "What the citizen said" not in page and "Move the ticket along" not in page
