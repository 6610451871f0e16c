"""The enumerator's work, each function run inside one session by LocalStore: the domain
rows and their outbox item are written together or not at all (G1, transactional outbox)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cati_app.client.store import outbox
from cati_app.client.store.models import AnswerRow, AttemptRow, CaseRow, InterviewRow
from cati_app.client.store.records import (
    ACTIVE,
    DONE,
    FINISHED,
    OPEN,
    NotFound,
    case_row,
    open_draft_row,
    replan,
)
from cati_app.core import outcomes
from cati_app.core.languages import LANGUAGES
from cati_app.core.protocol import (
    AppointmentKind,
    CaseReleasePayload,
    ContactAttemptPayload,
    InterviewVersionPayload,
    ItemKind,
)
from cati_app.core.questionnaire import Questionnaire, completion
from cati_app.core.scheduling import APPOINTMENT_KINDS, CallingRules


def record_attempt(session: Session, rules: CallingRules, username: str, case_id: int, *,
                   outcome: str, phone_index: int, started_at: datetime, ended_at: datetime,
                   note: str, appointment_at: datetime | None, appointment_kind: str | None,
                   now: datetime, language: str | None = None) -> str:
    case = case_row(session, case_id)
    kind = _pickable_outcome(outcome, note)
    if kind.refers_language and language not in LANGUAGES:
        raise ValueError(f"{kind.label!r} needs the respondent's language: choose one of "
                         f"{', '.join(LANGUAGES.values())}")
    _check_workable(case)
    _check_phone(case, phone_index)
    _check_appointment(kind, appointment_at, appointment_kind)
    payload = ContactAttemptPayload(
        started_at=started_at, ended_at=ended_at, phone_index=phone_index, outcome=kind.key,
        outcome_code=kind.aapor_code, note=note, appointment_at=appointment_at,
        appointment_kind=(AppointmentKind(appointment_kind) if appointment_kind is not None
                          else None),
        language=language if kind.refers_language else None,
    ).model_dump(mode="json", exclude={"language"} if not kind.refers_language else None)
    item_uuid = outbox.add_item(session, kind=ItemKind.contact_attempt, case=case,
                                payload=payload, at=now)
    session.add(AttemptRow(case_id=case_id, item_uuid=item_uuid, started_at=started_at,
                           ended_at=ended_at, outcome=kind.key, aapor_code=kind.aapor_code,
                           phone_index=phone_index, note=note, enumerator=username))
    if appointment_at is not None:
        case.appointment_at, case.appointment_kind = appointment_at, appointment_kind
        case.appointment_by = username
    session.flush()
    replan(session, case, rules)
    case.updated_at = now
    if kind.refers_language and language is not None:
        # for a speaker of it: the case leaves this queue now, as after a release (the
        # server returns it to the pool when the call arrives)
        case.language, case.state = language, DONE
    return item_uuid


def start_interview(session: Session, case_id: int, *, questionnaire: Questionnaire,
                    language: str, started_at: datetime, phone_index: int) -> InterviewRow:
    case = case_row(session, case_id)
    existing = open_draft_row(session, case_id)
    if existing is not None:
        return existing  # resume: a crash or a second click never starts a second draft
    _check_workable(case)
    _check_phone(case, phone_index)
    if language not in questionnaire.languages:
        raise ValueError(f"questionnaire {questionnaire.id} has no language {language!r}; "
                         f"choose one of {', '.join(questionnaire.languages)}")
    row = InterviewRow(interview_uuid=str(uuid.uuid4()), case_id=case_id,
                       questionnaire_id=questionnaire.id,
                       questionnaire_version=questionnaire.version, language=language,
                       current_item=None, started_at=started_at, phone_index=phone_index,
                       base_version_uuid=None, status=OPEN)
    session.add(row)
    session.flush()
    return row


def save_answer(session: Session, interview_uuid: str, name: str, value: Any,
                current_item: str | None) -> None:
    draft = open_interview(session, interview_uuid)
    if value is None:
        session.execute(delete(AnswerRow).where(AnswerRow.interview_id == draft.id,
                                                AnswerRow.name == name))
    else:
        session.merge(AnswerRow(interview_id=draft.id, name=name, value=value))
    draft.current_item = current_item


def finish_interview(session: Session, rules: CallingRules, username: str,
                     questionnaire: Questionnaire, interview_uuid: str, *, ended_at: datetime,
                     now: datetime) -> str:
    """Close the draft as a new interview version and queue it. Allowed on a revoked case too:
    the answers are uploaded and the server flags the stale work (G4), never dropped here."""
    draft = open_interview(session, interview_uuid)
    case = case_row(session, draft.case_id)
    answers: dict[str, Any] = dict(session.execute(select(AnswerRow.name, AnswerRow.value)
                                   .where(AnswerRow.interview_id == draft.id)).all())
    outcome_key = completion(questionnaire, answers)
    draft.status, draft.ended_at, draft.outcome = FINISHED, ended_at, outcome_key
    draft.version_uuid = str(uuid.uuid4())
    payload = InterviewVersionPayload(
        interview_uuid=uuid.UUID(draft.interview_uuid), version_uuid=uuid.UUID(draft.version_uuid),
        base_version_uuid=(uuid.UUID(draft.base_version_uuid) if draft.base_version_uuid
                           else None), questionnaire_id=draft.questionnaire_id,
        questionnaire_version=draft.questionnaire_version, language=draft.language,
        started_at=draft.started_at, ended_at=ended_at, answers=answers,
        phone_index=draft.phone_index,
    ).model_dump(mode="json")
    item_uuid = outbox.add_item(session, kind=ItemKind.interview_version, case=case,
                                payload=payload, at=now)
    # the interview is itself a contact attempt: it shows in the history and closes the plan
    kind = outcomes.outcome(outcome_key)
    session.add(AttemptRow(case_id=case.case_id, item_uuid=item_uuid, started_at=draft.started_at,
                           ended_at=ended_at, outcome=kind.key, aapor_code=kind.aapor_code,
                           phone_index=draft.phone_index, note="", enumerator=username))
    case.correction = None
    session.flush()
    replan(session, case, rules)
    case.updated_at = now
    return item_uuid


def release_case(session: Session, case_id: int, reason: str, now: datetime) -> str:
    case = case_row(session, case_id)
    if open_draft_row(session, case_id) is not None:
        raise ValueError(f"case {case_id} has an interview in progress: finish it before "
                         "releasing the case")
    _check_workable(case)
    payload = CaseReleasePayload(reason=reason).model_dump(mode="json")
    item_uuid = outbox.add_item(session, kind=ItemKind.case_release, case=case,
                                payload=payload, at=now)
    case.state, case.updated_at = DONE, now
    return item_uuid


def open_interview(session: Session, interview_uuid: str) -> InterviewRow:
    row = session.scalar(select(InterviewRow).where(InterviewRow.interview_uuid == interview_uuid)
                         .order_by(InterviewRow.id.desc()))
    if row is None:
        raise NotFound(f"interview {interview_uuid} is not on this device")
    if row.status != OPEN:
        raise ValueError(f"interview {interview_uuid} is already finished; its answers can "
                         "only change when a supervisor sends it back for correction")
    return row


# --- checks ----------------------------------------------------------------------------------

def _pickable_outcome(key: str, note: str) -> outcomes.Outcome:
    kind = outcomes.outcome(key)  # UnknownOutcome (ValueError) lists the valid keys
    if kind.derived:
        raise ValueError(f"{kind.label!r} comes from the interview's answers: finish the "
                         "interview instead of coding it by hand")
    if kind.server_only:
        raise ValueError(f"{kind.label!r} is set by the server when a case is withdrawn; "
                         "pick the outcome of the call instead")
    if kind.needs_note and not note.strip():
        raise ValueError(f"{kind.label!r} needs a note saying what happened")
    return kind


def _check_workable(case: CaseRow) -> None:
    if case.state != ACTIVE:
        why = ("it was taken back by a supervisor" if case.state == "revoked"
               else "its work is finished")
        raise ValueError(f"case {case.case_id} cannot be worked on: {why}")


def _check_phone(case: CaseRow, phone_index: int) -> None:
    if not 0 <= phone_index < len(case.phones):
        raise ValueError(f"case {case.case_id} has {len(case.phones)} phone number(s); "
                         f"number {phone_index + 1} does not exist")


def _check_appointment(kind: outcomes.Outcome, at: datetime | None, how: str | None) -> None:
    if kind.books_appointment:
        if at is None or how not in APPOINTMENT_KINDS:
            raise ValueError("an appointment needs a time and a kind ('hard' or 'soft')")
    elif at is not None or how is not None:
        raise ValueError(f"{kind.label!r} does not book a call-back; pick 'Appointment' to "
                         "book one")
