"""A ticket's history for the web pages (issue 16): its openings, changes of state and
call-backs, read from the audit log (``ticket.*`` entries, which every change writes), oldest
first. Staff usernames are shown; never a respondent's name or number (the audit details of
tickets carry none)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.server.models import AuditEntry, User

OPENED, CHANGED = "ticket.open", "ticket.change"


@dataclass(frozen=True)
class Step:
    at: datetime
    action: str
    state: str
    note: str
    by: str


def history(session: Session, ticket_id: int) -> list[Step]:
    """The ticket's steps; the caller has checked the ticket is one the reader may see
    (``tickets.read_one`` with the reader's agency)."""
    rows = session.execute(
        select(AuditEntry, User.username).outerjoin(User, User.id == AuditEntry.user_id)
        .where(AuditEntry.entity == "ticket", AuditEntry.entity_id == str(ticket_id),
               AuditEntry.action.startswith("ticket."))
        .order_by(AuditEntry.at, AuditEntry.id))
    return [_step(entry, username or "") for entry, username in rows]


def _step(entry: AuditEntry, by: str) -> Step:
    details = entry.details or {}
    if entry.action == OPENED:
        return Step(entry.at, entry.action, "open", "", by)
    if entry.action == CHANGED:
        to = details.get("to") or {}
        return Step(entry.at, entry.action, str(to.get("state", "")),
                    str(details.get("note", "")), by)
    return Step(entry.at, entry.action, "", "", by)
