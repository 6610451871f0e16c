"""Complaint tickets: ``GET /v1/tickets``, ``GET /v1/tickets/{id}``,
``POST /v1/tickets/{id}/state``.

Who may do what: supervisors, analysts and admins read every ticket; supervisors and admins
move them along (until the ``agency`` role exists; then agency accounts too, limited to their
own agency's tickets by ``agency_scope``, which already reads ``users.agency`` for them).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from cati_app.core.protocol_scorecard import Ticket, TicketChange, TicketPage, TicketState
from cati_app.server.deps import Analyst, Ctx, Supervisor
from cati_app.server.errors import Forbidden, error_responses
from cati_app.server.models import User
from cati_app.server.services.accounts.identity import CurrentUser
from cati_app.server.services.complaints import tickets
from cati_app.server.services.complaints.tickets import MAX_PAGE, Actor, TicketFilter

router = APIRouter(prefix="/v1", tags=["complaints"], responses=error_responses(401, 403, 422))
AGENCY_ROLE = "agency"


def agency_scope(session: Session, user: CurrentUser) -> str | None:
    """None for RCSC staff (every agency); an agency account's own agency."""
    if user.role.value != AGENCY_ROLE:
        return None
    agency = session.get_one(User, user.id).agency
    if not agency:
        raise Forbidden("this agency account names no agency: an admin sets it")
    return agency


@router.get("/tickets", response_model=TicketPage)
def list_tickets(
    ctx: Ctx, user: Analyst,
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
        scope = agency_scope(session, user) or (agency.strip() if agency else None)
        return tickets.read_page(session, wanted, agency=scope, limit=limit, offset=offset)


@router.get("/tickets/{ticket_id}", response_model=Ticket,
            responses=error_responses(404))
def get_ticket(ctx: Ctx, user: Analyst,
               ticket_id: Annotated[int, Path(ge=1, le=2**62)]) -> Ticket:
    with ctx.read() as session:
        return tickets.read_one(session, ticket_id, agency=agency_scope(session, user))


@router.post("/tickets/{ticket_id}/state", response_model=Ticket,
             responses=error_responses(404, 409))
def change_ticket(ctx: Ctx, user: Supervisor, body: TicketChange,
                  ticket_id: Annotated[int, Path(ge=1, le=2**62)]) -> Ticket:
    """open → acknowledged → resolved (forward steps may be skipped), or reopen a resolved
    ticket (→ open); the same state with a ``category`` recategorises it. A note is needed
    every time. Resolving a ticket whose respondent agreed queues a call-back case."""
    with ctx.transaction() as session:
        return tickets.change_state(session, ticket_id, body,
                                    agency=agency_scope(session, user), at=ctx.clock.now(),
                                    actor=Actor(user.id, user.device_id))
