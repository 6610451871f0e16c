"""Complaint tickets (issue 16, DESIGN.md §9.4): opening one from any channel, reading them
(filtered, paged, optionally limited to one agency) and moving one along its workflow.

Every function that reads or changes tickets takes ``agency``: None reads every agency's
(RCSC staff: supervisors, analysts, admins); a code limits it to the tickets of that agency's
services (an ``agency`` account, ``users.agency``). A ticket of another agency is "not found",
never "forbidden", so its existence does not leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cati_app.core import complaints as rules
from cati_app.core.protocol import Role
from cati_app.core.protocol_scorecard import Ticket, TicketChange, TicketPage
from cati_app.server.audit import audit
from cati_app.server.errors import Conflict, NotFound, Unprocessable
from cati_app.server.models import Service
from cati_app.server.models import Ticket as TicketRow
from cati_app.server.services.complaints import callbacks

MAX_PAGE = 200
#: who may move tickets along (the API's ``TicketHandler`` and the web pages): the agency
#: they concern, RCSC's supervisors and admins; analysts only read them
HANDLERS = frozenset({Role.agency, Role.supervisor, Role.admin})


@dataclass(frozen=True)
class Actor:
    """Who makes a change, for the audit log."""
    user_id: int | None
    device_id: str = ""


@dataclass(frozen=True)
class TicketFilter:
    """Empty means "any". ``service`` is a service code."""
    service: str | None = None
    office: str | None = None
    state: str | None = None
    category: str | None = None


def open_ticket(session: Session, *, service_id: int, office: str, dzongkhag: str,
                reported_on: date, text: str, channel: str, at: datetime, actor: Actor,
                consent_to_follow_up: bool = False, case_id: int | None = None,
                interview_uuid: str | None = None) -> TicketRow:
    """A new open ticket for a complaint from ``channel`` (cati, web, sms, open): the text is
    masked and categorised here, whatever the channel. What other channels call."""
    if channel not in rules.CHANNELS:
        raise Unprocessable(f"unknown channel {channel!r}: use one of "
                            f"{', '.join(rules.CHANNELS)}")
    masked = rules.ticket_text(text)
    if not masked:
        raise Unprocessable("a complaint needs its text: say what went wrong")
    ticket = TicketRow(
        channel=channel, service_id=service_id, office=office, dzongkhag=dzongkhag,
        reported_on=reported_on, text=masked, category=rules.categorise(masked),
        state=rules.OPEN, note="", consent_to_follow_up=consent_to_follow_up, case_id=case_id,
        interview_uuid=interview_uuid, follow_up_comment="", created_at=at, updated_at=at)
    session.add(ticket)
    session.flush()
    audit(session, at=at, user_id=actor.user_id, device_id=actor.device_id,
          action="ticket.open", entity="ticket", entity_id=ticket.id,
          details={"channel": channel, "service_id": service_id, "category": ticket.category,
                   "case_id": case_id, "consent_to_follow_up": consent_to_follow_up})
    return ticket


def read_page(session: Session, wanted: TicketFilter, *, agency: str | None, limit: int,
              offset: int) -> TicketPage:
    """One page of tickets, newest first, and how many match in all."""
    query = _filtered(_base(agency), wanted)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(TicketRow.created_at.desc(), TicketRow.id.desc())
                           .limit(limit).offset(offset)).all()
    return TicketPage(total=total, limit=limit, offset=offset,
                      tickets=[to_wire(row, code, owner) for row, code, owner in rows])


def for_export(session: Session, *, service_ids: list[int], date_from: date | None,
               date_to: date | None, agency: str | None = None) -> list[Ticket]:
    """Every ticket of these services reported within the dates (both included, either may
    be open), oldest first: the analyst workbook's "Complaint tickets" sheet."""
    query = _base(agency).where(TicketRow.service_id.in_(service_ids or [-1]))
    if date_from is not None:
        query = query.where(TicketRow.reported_on >= date_from)
    if date_to is not None:
        query = query.where(TicketRow.reported_on <= date_to)
    rows = session.execute(query.order_by(TicketRow.reported_on, TicketRow.id))
    return [to_wire(row, code, owner) for row, code, owner in rows]


def offices(session: Session, *, agency: str | None) -> list[str]:
    """The offices with tickets (of the agency's services), for the pages' filter."""
    query = (select(TicketRow.office).distinct()
             .join(Service, Service.id == TicketRow.service_id).where(TicketRow.office != ""))
    if agency is not None:
        query = query.where(Service.agency == agency)
    return sorted(session.scalars(query))


def read_one(session: Session, ticket_id: int, *, agency: str | None) -> Ticket:
    row, code, owner = _found(session, ticket_id, agency, lock=False)
    return to_wire(row, code, owner)


def change_state(session: Session, ticket_id: int, change: TicketChange, *,
                 agency: str | None, at: datetime, actor: Actor) -> Ticket:
    """Move a ticket along open → acknowledged → resolved (or reopen a resolved one), or
    recategorise it; with a note, audited. Resolving a ticket whose respondent agreed to a
    call-back queues one (services.complaints.callbacks)."""
    row, code, owner = _found(session, ticket_id, agency, lock=True)
    if change.category is not None and (problem := rules.category_problem(change.category)):
        raise Unprocessable(problem, fields=[{"loc": ["body", "category"], "msg": problem}])
    recategorised = change.category is not None and change.category != row.category
    if not change.note.strip():
        raise Unprocessable(rules.change_problem(row.state, change.state, "",
                                                 category_changes=recategorised) or "",
                            fields=[{"loc": ["body", "note"], "msg": "a note is needed"}])
    problem = rules.change_problem(row.state, change.state, change.note,
                                   category_changes=recategorised)
    if problem is not None:
        raise Conflict(problem)
    before = {"state": row.state, "category": row.category}
    if recategorised:
        assert change.category is not None
        row.category, row.category_set_by = change.category, actor.user_id
    if change.state != row.state:
        _move(row, change.state, at)
    row.note, row.updated_at = change.note.strip(), at
    audit(session, at=at, user_id=actor.user_id, device_id=actor.device_id,
          action="ticket.change", entity="ticket", entity_id=row.id,
          details={"from": before, "to": {"state": row.state, "category": row.category},
                   "note": row.note})
    if change.state == rules.RESOLVED and before["state"] != rules.RESOLVED:
        callbacks.queue_call_back(session, row, at=at, user_id=actor.user_id,
                                  device_id=actor.device_id)
    session.flush()
    return to_wire(row, code, owner)


def _move(row: TicketRow, state: str, at: datetime) -> None:
    row.state = state
    if state == rules.ACKNOWLEDGED:
        row.acknowledged_at = at
    elif state == rules.RESOLVED:
        row.resolved_at = at
    else:  # reopened: it has no resolution until it is resolved again
        row.resolved_at = None


def to_wire(row: TicketRow, service_code: str, agency: str) -> Ticket:
    follow_up = None
    if row.follow_up_answer is not None:
        follow_up = rules.FollowUpAnswer(row.follow_up_answer, row.follow_up_comment).describe()
    return Ticket(
        id=row.id, service_code=service_code, agency=agency, office=row.office,
        dzongkhag=row.dzongkhag, reported_on=row.reported_on, channel=row.channel,
        category=row.category, text=row.text, state=row.state,  # type: ignore[arg-type]
        note=row.note, consent_to_follow_up=row.consent_to_follow_up, follow_up=follow_up,
        created_at=row.created_at, updated_at=row.updated_at, resolved_at=row.resolved_at)


def _base(agency: str | None) -> Select[TicketRow, str, str]:
    query = (select(TicketRow, Service.code, Service.agency)
             .join(Service, Service.id == TicketRow.service_id))
    return query if agency is None else query.where(Service.agency == agency)


def _filtered(query: Select[TicketRow, str, str], wanted: TicketFilter
              ) -> Select[TicketRow, str, str]:
    if wanted.service:
        query = query.where(Service.code == wanted.service.strip().upper())
    if wanted.office:
        query = query.where(TicketRow.office == wanted.office.strip())
    if wanted.state:
        query = query.where(TicketRow.state == wanted.state)
    if wanted.category:
        query = query.where(TicketRow.category == wanted.category)
    return query


def _found(session: Session, ticket_id: int, agency: str | None, *, lock: bool
           ) -> tuple[TicketRow, str, str]:
    query = _base(agency).where(TicketRow.id == ticket_id)
    if lock:  # two people resolving at once: one wins, the other is told it is resolved
        query = query.with_for_update(of=TicketRow)
    found = session.execute(query).one_or_none()
    if found is None:
        raise NotFound(f"no ticket {ticket_id}" + (f" for {agency}" if agency else "")
                       + ": check the number in the list of tickets")
    row, code, owner = found
    return row, code, owner
