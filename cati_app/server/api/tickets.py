"""Complaint tickets: ``GET /v1/tickets``, ``GET /v1/tickets/{id}``,
``POST /v1/tickets/{id}/state``.

Who may do what: agency accounts read and move along their own agency's tickets (the issue:
"routed to the agency; the agency moves it open → acknowledged → resolved"); supervisors and
admins read and move every agency's; analysts read them. ``scorecard_scope`` decides which
agency an account sees, for tickets as for scorecards.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from cati_app.core.protocol_scorecard import Ticket, TicketChange, TicketPage, TicketState
from cati_app.server.deps import Ctx, ScorecardReader, TicketHandler
from cati_app.server.errors import error_responses
from cati_app.server.services.accounts.identity import CurrentUser
from cati_app.server.services.complaints import tickets
from cati_app.server.services.complaints.tickets import MAX_PAGE, Actor, TicketFilter
from cati_app.server.services.reporting import scorecard_scope

router = APIRouter(prefix="/v1", tags=["complaints"], responses=error_responses(401, 403, 422))


def agency_scope(session: Session, user: CurrentUser, asked: str | None = None) -> str | None:
    """None for RCSC staff asking for every agency; an agency account's own agency."""
    return scorecard_scope.allowed_agency(session, user, asked.strip() if asked else None)


@router.get("/tickets", response_model=TicketPage)
def list_tickets(
    ctx: Ctx, user: ScorecardReader,
    agency: Annotated[str | None, Query(max_length=200, description="an agency")] = None,
    service: Annotated[str | None, Query(max_length=32, description="a service code")] = None,
    office: Annotated[str | None, Query(max_length=200)] = None,
    state: Annotated[TicketState | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TicketPage:
    """Complaint tickets, newest first, a page at a time. Texts are masked; no names or
    phone numbers."""
    wanted = TicketFilter(service=service, office=office, state=state, category=category)
    with ctx.read() as session:
        scope = agency_scope(session, user, agency)
        return tickets.read_page(session, wanted, agency=scope, limit=limit, offset=offset)


@router.get("/tickets/{ticket_id}", response_model=Ticket,
            responses=error_responses(404))
def get_ticket(ctx: Ctx, user: ScorecardReader,
               ticket_id: Annotated[int, Path(ge=1, le=2**62)]) -> Ticket:
    with ctx.read() as session:
        return tickets.read_one(session, ticket_id, agency=agency_scope(session, user))


@router.post("/tickets/{ticket_id}/state", response_model=Ticket,
             responses=error_responses(404, 409))
def change_ticket(ctx: Ctx, user: TicketHandler, body: TicketChange,
                  ticket_id: Annotated[int, Path(ge=1, le=2**62)]) -> Ticket:
    """open → acknowledged → resolved (forward steps may be skipped), or reopen a resolved
    ticket (→ open); the same state with a ``category`` recategorises it. A note is needed
    every time. Resolving a ticket whose respondent agreed queues a call-back case."""
    with ctx.transaction() as session:
        return tickets.change_state(session, ticket_id, body,
                                    agency=agency_scope(session, user), at=ctx.clock.now(),
                                    actor=Actor(user.id, user.device_id))
