"""Complaints given in interviews (issue 16): each interview version the push stores passes
here, in the push's transaction, on both of its write strategies.

- A complaint lodged in an interview opens one ticket for that interview (``interview_uuid``
  is unique, and a replayed push never reaches here: the ledger answers ``duplicate``).
- A correction of the interview (same ``interview_uuid``) updates that ticket's text, consent
  and, unless a person set it, its category; it never makes a second ticket. A correction
  that takes the complaint back leaves the ticket as it is (the agency may have acted on it).
- A second interview of the same case (a conflict between two holders) opens no second
  ticket: the respondent's complaint is on the first.
- A call-back interview writes its answer on its ticket (``callbacks.record_answer``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.core import complaints as rules
from cati_app.core.clock import to_thimphu
from cati_app.core.questionnaire import Questionnaire
from cati_app.server.audit import audit
from cati_app.server.models import Case
from cati_app.server.models import Ticket as TicketRow
from cati_app.server.services.complaints import callbacks
from cati_app.server.services.complaints.tickets import Actor, open_ticket


def matters(q: Questionnaire, answers: dict[str, Any]) -> bool:
    """Cheap and without queries: False for the everyday interview with no complaint."""
    return q.id == rules.FOLLOW_UP_QUESTIONNAIRE or rules.might_hold_complaint(q, answers)


def from_interview(session: Session, q: Questionnaire, case: Case, *, interview_uuid: str,
                   answers: dict[str, Any], started_at: datetime, at: datetime,
                   actor: Actor) -> TicketRow | None:
    """The ticket this stored interview version opened, updated or answered, if any."""
    if q.id == rules.FOLLOW_UP_QUESTIONNAIRE:
        return callbacks.record_answer(session, q, case_id=case.id, answers=answers, at=at,
                                       user_id=actor.user_id, device_id=actor.device_id)
    given = rules.complaint_in(q, answers)
    if given is None:
        return None
    ticket = session.scalar(select(TicketRow).where(TicketRow.interview_uuid == interview_uuid))
    if ticket is not None:
        return _corrected(session, ticket, given, at, actor)
    if session.scalar(select(TicketRow.id).where(TicketRow.case_id == case.id,
                                                 TicketRow.channel == "cati").limit(1)):
        return None
    return open_ticket(
        session, service_id=case.service_id, office=case.office, dzongkhag=case.dzongkhag,
        reported_on=to_thimphu(started_at).date(), text=given.text, channel="cati", at=at,
        actor=actor, consent_to_follow_up=given.consent_to_follow_up, case_id=case.id,
        interview_uuid=interview_uuid)


def _corrected(session: Session, ticket: TicketRow, given: rules.GivenComplaint,
               at: datetime, actor: Actor) -> TicketRow:
    changed: dict[str, Any] = {}
    if given.text != ticket.text:
        ticket.text, changed["text"] = given.text, True
        if ticket.category_set_by is None:
            category = rules.categorise(given.text)
            if category != ticket.category:
                changed["category"] = [ticket.category, category]
                ticket.category = category
    if given.consent_to_follow_up != ticket.consent_to_follow_up:
        changed["consent_to_follow_up"] = given.consent_to_follow_up
        ticket.consent_to_follow_up = given.consent_to_follow_up
    if changed:
        ticket.updated_at = at
        audit(session, at=at, user_id=actor.user_id, device_id=actor.device_id,
              action="ticket.correct", entity="ticket", entity_id=ticket.id, details=changed)
    return ticket
