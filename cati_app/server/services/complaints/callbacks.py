"""Closing the loop (issue 16): a ticket resolved with the respondent's consent queues a short
call-back case; the call-back's answer, when pushed, is written on the ticket.

A call-back is a case like any other (the claim, the calling rules, sync, attempts), of its
own service: ``<CODE>-FU`` beside each service, with the shipped call-back script
(``complaint_followup``). Its own service keeps its calls and its "interviews" (which have no
ratings) out of the service's response rates and scores, while the queue, the desktop and
the reports handle it with no special case. The call-back service has the same agency.

One call-back per resolution: it is queued only on the change into ``resolved`` (the row is
locked, a second "resolve" is refused), and never while an earlier call-back of the ticket is
still open. Numbers on the do-not-call register are not called back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.core import complaints as rules
from cati_app.core.questionnaire import Questionnaire
from cati_app.server.audit import audit
from cati_app.server.models import Case, CaseState, QuestionnaireVersion, SampleBatch, Service
from cati_app.server.models import Ticket as TicketRow
from cati_app.server.services.cases.do_not_call import blocked_numbers
from cati_app.server.services.catalogue import catalogue

CALL_BACK_BATCH = "Complaint call-backs"
SUFFIX = "-FU"
#: above the default 50: the respondent is expecting the call
CALL_BACK_PRIORITY = 70


def follow_up_code(service_code: str) -> str:
    """The call-back service's code for a service (codes are at most 32 characters)."""
    return service_code[:32 - len(SUFFIX)] + SUFFIX


def is_follow_up_service(service: Service) -> bool:
    """Scorecards and rates per service may leave these out: their cases are call-backs."""
    return service.questionnaire_id == rules.FOLLOW_UP_QUESTIONNAIRE


def queue_call_back(session: Session, ticket: TicketRow, *, at: datetime, user_id: int | None,
                    device_id: str = "") -> Case | None:
    """The call-back case for a ticket just resolved, or None when there is none to make
    (no consent, no case to call back, one still open, every number on do-not-call)."""
    if not ticket.consent_to_follow_up or ticket.case_id is None:
        return None
    if ticket.follow_up_case_id is not None:
        earlier = session.get_one(Case, ticket.follow_up_case_id)
        if earlier.state != CaseState.CLOSED:
            _note(session, ticket, at, user_id, device_id, "ticket.call_back_skipped",
                  {"reason": "an earlier call-back is still open",
                   "case_id": earlier.id})
            return None
    original = session.get_one(Case, ticket.case_id)
    blocked = blocked_numbers(session, original.phones())
    phones = [p for p in original.phones() if p not in blocked]
    if not phones:
        _note(session, ticket, at, user_id, device_id, "ticket.call_back_skipped",
              {"reason": "every number is on the do-not-call register"})
        return None
    service = follow_up_service(session, original.service_id, at=at)
    batch = _call_back_batch(session, service, at=at, by=user_id)
    case = Case(batch_id=batch.id, service_id=service.id,
                respondent_name=original.respondent_name, phone1=phones[0],
                phone2=phones[1] if len(phones) > 1 else None,
                phone3=phones[2] if len(phones) > 2 else None, office=original.office,
                dzongkhag=original.dzongkhag, date_availed=original.date_availed,
                language=original.language, priority=CALL_BACK_PRIORITY,
                state=CaseState.QUEUED, assignment_version=0, attempt_count=0,
                created_at=at, updated_at=at)
    session.add(case)
    session.flush()
    batch.rows_imported += 1
    ticket.follow_up_case_id = case.id
    ticket.follow_up_answer, ticket.follow_up_comment, ticket.follow_up_at = None, "", None
    _note(session, ticket, at, user_id, device_id, "ticket.call_back",
          {"case_id": case.id, "service": service.code})
    return case


def follow_up_service(session: Session, service_id: int, *, at: datetime) -> Service:
    """The call-back service beside ``service_id``'s, made (with its script) when first
    needed."""
    original = session.get_one(Service, service_id)
    code = follow_up_code(original.code)
    found = session.scalar(select(Service).where(Service.code == code))
    if found is not None:
        return found
    _ensure_script(session, at)
    return catalogue.add_service(
        session, code=code, name=f"{original.name} (complaint call-back)"[:200],
        agency=original.agency, questionnaire_id=rules.FOLLOW_UP_QUESTIONNAIRE, at=at,
        by=None)


def record_answer(session: Session, q: Questionnaire, *, case_id: int,
                  answers: dict[str, Any], at: datetime, user_id: int | None,
                  device_id: str = "") -> TicketRow | None:
    """Write a pushed call-back interview's answer on its ticket (a correction of it writes
    again); None when the case is no ticket's call-back or the question went unanswered."""
    heard = rules.follow_up_in(q, answers)
    if heard is None:
        return None
    ticket = session.scalar(select(TicketRow).where(TicketRow.follow_up_case_id == case_id)
                            .with_for_update())
    if ticket is None:
        return None
    ticket.follow_up_answer, ticket.follow_up_comment = heard.answer, heard.comment
    ticket.follow_up_at = ticket.updated_at = at
    _note(session, ticket, at, user_id, device_id, "ticket.follow_up",
          {"case_id": case_id, "answer": heard.answer})
    return ticket


def _ensure_script(session: Session, at: datetime) -> None:
    script = rules.follow_up_questionnaire()
    if session.scalar(select(QuestionnaireVersion.id)
                      .where(QuestionnaireVersion.qid == script.id).limit(1)) is None:
        catalogue.add_questionnaire_version(session, script.model_dump(mode="json"), at=at,
                                            by=None)


def _call_back_batch(session: Session, service: Service, *, at: datetime, by: int | None
                     ) -> SampleBatch:
    batch = session.scalar(select(SampleBatch).where(
        SampleBatch.service_id == service.id, SampleBatch.name == CALL_BACK_BATCH).limit(1))
    if batch is None:
        batch = SampleBatch(name=CALL_BACK_BATCH, service_id=service.id, imported_at=at,
                            imported_by=by, rows_imported=0, rows_rejected=0)
        session.add(batch)
        session.flush()
    return batch


def _note(session: Session, ticket: TicketRow, at: datetime, user_id: int | None,
          device_id: str, action: str, details: dict[str, Any]) -> None:
    audit(session, at=at, user_id=user_id, device_id=device_id, action=action,
          entity="ticket", entity_id=ticket.id, details=details)
