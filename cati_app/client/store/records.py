"""Reading rows into views, and recomputing a case's plan with the core calling rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, select, type_coerce
from sqlalchemy.orm import Session

from cati_app.client.store.models import AnswerRow, AttemptRow, CaseRow, InterviewRow, OutboxRow
from cati_app.client.store.views import (
    InterviewDraft,
    LocalAppointment,
    LocalAttempt,
    LocalCase,
    LocalCorrection,
    QueueItem,
)
from cati_app.core.queue_order import QueueEntry
from cati_app.core.scheduling import AppointmentRecord, AttemptRecord, CallingRules, plan_next_call

ACTIVE, DONE, REVOKED = "active", "done", "revoked"
OPEN, FINISHED = "open", "finished"
#: queue_order speaks of enumerator ids; on this device there is only "me" and "someone else"
ME, SOMEONE_ELSE = 1, 2


class NotFound(LookupError):
    """No such case or interview in the local database."""


def case_row(session: Session, case_id: int) -> CaseRow:
    row = session.get(CaseRow, case_id)
    if row is None:
        raise NotFound(f"case {case_id} is not on this device; sync to fetch your cases")
    return row


def attempt_rows(session: Session, case_id: int) -> list[AttemptRow]:
    return list(session.scalars(select(AttemptRow).where(AttemptRow.case_id == case_id)
                                .order_by(AttemptRow.started_at, AttemptRow.id)))


def pending_uuids(session: Session, case_id: int) -> set[str]:
    return set(session.scalars(select(OutboxRow.item_uuid).where(OutboxRow.case_id == case_id)))


def open_draft_row(session: Session, case_id: int) -> InterviewRow | None:
    return session.scalar(select(InterviewRow).where(
        InterviewRow.case_id == case_id, InterviewRow.status == OPEN).order_by(InterviewRow.id))


def to_case(session: Session, row: CaseRow) -> LocalCase:
    return to_cases(session, [row])[0]


def to_cases(session: Session, rows: Sequence[Any]) -> list[LocalCase]:
    """Views of many cases (CaseRow objects or plain rows of its table), with two queries
    per 900 cases."""
    ids = [row.case_id for row in rows]
    attempts: dict[int, list[Any]] = defaultdict(list)
    pending: set[str] = set()
    for chunk in _chunks(ids):
        for attempt in session.execute(select(AttemptRow.__table__)
                                       .where(AttemptRow.case_id.in_(chunk))
                                       .order_by(AttemptRow.started_at, AttemptRow.id)):
            attempts[attempt.case_id].append(attempt)
        pending.update(session.scalars(select(OutboxRow.item_uuid)
                                       .where(OutboxRow.case_id.in_(chunk))))
    return [_view(row, attempts[row.case_id], pending) for row in rows]


def _chunks(ids: list[int], size: int = 900) -> list[list[int]]:
    # SQLite limits the number of bound parameters in one statement
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _view(row: Any, attempts: list[Any], pending: set[str]) -> LocalCase:
    views = tuple(_to_attempt(a, pending) for a in attempts)
    appointment = None
    if row.appointment_at is not None:
        appointment = LocalAppointment(row.appointment_at, row.appointment_kind or "soft",
                                       row.appointment_by or "")
    return LocalCase(
        case_id=row.case_id, assignment_version=row.assignment_version,
        service_code=row.service_code, service_name=row.service_name,
        questionnaire_id=row.questionnaire_id, questionnaire_version=row.questionnaire_version,
        priority=row.priority, respondent_name=row.respondent_name, phones=tuple(row.phones),
        office=row.office, dzongkhag=row.dzongkhag, date_availed=row.date_availed,
        language=row.language, attempts=views, next_call_at=row.next_call_at,
        appointment=appointment, state=row.state, correction=local_correction(row.correction),
        last_outcome=attempts[-1].outcome if attempts else None,
        next_phone_index=row.next_phone_index,
        language_may_not_match=bool(row.language_may_not_match),
    )


def local_correction(stored: dict[str, Any] | None) -> LocalCorrection | None:
    """The correction kept with a case (``Correction`` without its answers, which went into
    the new draft)."""
    if stored is None:
        return None
    return LocalCorrection(version_uuid=str(stored.get("version_uuid") or ""),
                           comment=str(stored.get("comment") or ""))


def _to_attempt(row: Any, pending: set[str]) -> LocalAttempt:
    return LocalAttempt(
        attempt_uuid=row.item_uuid or f"server-{row.id}", started_at=row.started_at,
        outcome=row.outcome, aapor_code=row.aapor_code, phone_index=row.phone_index,
        note=row.note, enumerator=row.enumerator, pending=row.item_uuid in pending,
    )


def queue_items(session: Session) -> list[QueueItem]:
    """The active cases as queue rows, in one query of the cases table: only the columns the
    queue shows (the history's summary is kept on the case by ``replan``), no JSON decoded
    (phones and the correction stay in the row). Through the connection, and the times read
    as the text SQLite keeps: the ORM's row handling and the column types' converters cost
    several times the query itself for 10,000 rows."""
    case = CaseRow.__table__.c
    rows = session.connection().execute(
        select(case.case_id, case.respondent_name, case.service_code, case.service_name,
               case.office, case.dzongkhag, case.priority, _text(case.date_availed),
               _text(case.next_call_at), _text(case.appointment_at), case.appointment_kind,
               case.appointment_by, case.attempt_count, _text(case.last_called_at),
               case.last_outcome, case.correction.is_not(None))
        .where(case.state == ACTIVE)).all()
    return [QueueItem(case_id, name, code, service, office, dzongkhag, priority,
                      date.fromisoformat(availed) if availed else None, _utc(next_call),
                      None if at is None else LocalAppointment(_utc_time(at), kind or "soft",
                                                               by or ""),
                      attempts, outcome, _utc(last_called), bool(correction))
            for (case_id, name, code, service, office, dzongkhag, priority, availed,
                 next_call, at, kind, by, attempts, last_called, outcome, correction) in rows]


def _text(column: ColumnElement[Any]) -> ColumnElement[str]:
    return type_coerce(column, String)


def _utc_time(stored: str) -> datetime:
    """A time as ``types.UtcDateTime`` stores it (naive UTC text, e.g. ``2026-06-01
    04:00:00.000000``), timezone-aware again."""
    return datetime.fromisoformat(stored + "+00:00")


def _utc(stored: str | None) -> datetime | None:
    return None if stored is None else _utc_time(stored)


def to_draft(session: Session, row: InterviewRow) -> InterviewDraft:
    answers: dict[str, Any] = dict(session.execute(
        select(AnswerRow.name, AnswerRow.value).where(AnswerRow.interview_id == row.id)).all())
    return InterviewDraft(
        interview_uuid=row.interview_uuid, case_id=row.case_id,
        questionnaire_id=row.questionnaire_id, questionnaire_version=row.questionnaire_version,
        language=row.language, answers=answers, current_item=row.current_item,
        started_at=row.started_at, phone_index=row.phone_index,
        base_version_uuid=row.base_version_uuid,
    )


def replan(session: Session, row: CaseRow, rules: CallingRules) -> None:
    """Recompute next call, number and appointment from the attempts (one history, one plan,
    as on the server); a closed plan makes the case 'done'."""
    attempts = attempt_rows(session, row.case_id)
    appointment = None
    if row.appointment_at is not None:
        appointment = AppointmentRecord(row.appointment_at, row.appointment_kind or "soft")
    plan = plan_next_call(_records(attempts), len(row.phones), rules, appointment)
    row.attempt_count = len(attempts)
    row.last_outcome = attempts[-1].outcome if attempts else None
    row.last_called_at = attempts[-1].started_at if attempts else None
    row.next_call_at = plan.next_call_at
    row.next_phone_index = plan.phone_index
    row.plan_reason = plan.reason[:200]
    if plan.appointment is None:
        row.appointment_at = row.appointment_kind = row.appointment_by = None
    if plan.closed and row.state == ACTIVE and row.correction is None:
        row.state = DONE


def _records(attempts: Sequence[AttemptRow]) -> list[AttemptRecord]:
    return [AttemptRecord(a.started_at, a.outcome, a.phone_index) for a in attempts]


def queue_entry(item: QueueItem, username: str) -> QueueEntry:
    """The queue row as ``cati_app.core.queue_order`` sees it."""
    appointment = None
    if item.appointment is not None:
        booker = None
        if item.appointment.booked_by:
            booker = ME if item.appointment.booked_by == username else SOMEONE_ELSE
        appointment = AppointmentRecord(item.appointment.at, item.appointment.kind, booker)
    return QueueEntry(item.case_id, item.priority, item.next_call_at, item.last_called_at,
                      item.date_availed, appointment, item.returned_for_correction)
