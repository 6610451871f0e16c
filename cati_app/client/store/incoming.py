"""What the server sends: claimed cases and pages of the change feed. Every function here is
idempotent, so a page applied twice (a lost reply, a crash before the cursor moved) changes
nothing, and stale news (an older assignment_version) never overwrites newer local state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cati_app.client.store.models import (
    AnswerRow,
    AttemptRow,
    CaseRow,
    ClaimRow,
    InterviewRow,
    QuestionnaireRow,
    SyncLogRow,
)
from cati_app.client.store.records import (
    ACTIVE,
    DONE,
    OPEN,
    REVOKED,
    attempt_rows,
    open_draft_row,
    pending_uuids,
    replan,
)
from cati_app.core.protocol import Change, ChangeType, QueueCase
from cati_app.core.scheduling import CallingRules

#: server case states in which nobody should call the respondent from this device
_SERVER_STOPPED = ("closed", "needs_supervisor")


def store_claim(session: Session, rules: CallingRules, grant_id: str,
                cases: list[QueueCase], at: datetime) -> None:
    for case in cases:
        upsert_case(session, rules, case, at)
    if session.get(ClaimRow, grant_id) is None:
        session.add(ClaimRow(grant_id=grant_id, case_ids=[c.case_id for c in cases],
                             received_at=at))


def apply_snapshot(session: Session, rules: CallingRules, cases: list[QueueCase],
                   at: datetime, *, reset: bool) -> None:
    """Take the server's list of what this enumerator holds now (issue 10). A fresh store
    simply gets those cases. A *reset* (the server said our cursor is beyond its feed: it was
    restored from a backup) makes the snapshot the truth: versions are taken as the server
    has them, even older ones, and active cases it no longer lists as ours leave the queue.
    Drafts, attempts and outbox items stay either way: nothing said is lost (G4)."""
    listed = {case.case_id for case in cases}
    for case in cases:
        row = session.get(CaseRow, case.case_id)
        if reset and row is not None:
            row.assignment_version = -1  # not old news, whatever version we had
        upsert_case(session, rules, case, at)
    if not reset:
        return
    for row in session.scalars(select(CaseRow).where(CaseRow.state == ACTIVE,
                                                     CaseRow.case_id.not_in(listed))):
        row.state = REVOKED
        row.revoked_reason = "the server no longer lists this case as yours"
        row.updated_at = at
        log(session, at, "warning", f"case {row.case_id} was taken back: the server no "
            "longer lists it as yours (it was restored from a backup)")


def apply_change(session: Session, rules: CallingRules, change: Change, at: datetime) -> None:
    if change.type is ChangeType.case_upsert:
        _apply_upsert(session, rules, change, at)
    elif change.type is ChangeType.case_revoked:
        _apply_revoked(session, change, at)
    elif change.type is ChangeType.interview_rejected:
        _apply_rejected(session, rules, change, at)
    elif change.type is ChangeType.conflict_notice:
        body = change.body
        detail = body.get("description") or body.get("detail") or "your supervisor will decide"
        log(session, at, "warning", f"case {change.case_id}: conflict: {detail}")
    elif change.type is ChangeType.questionnaire_available:
        _want_questionnaire(session, change.body)


def upsert_case(session: Session, rules: CallingRules, case: QueueCase, at: datetime) -> None:
    row = session.get(CaseRow, case.case_id)
    if row is not None and _is_old_news(row, case.assignment_version):
        return
    new = row is None
    pending = set() if new else pending_uuids(session, case.case_id)
    if row is None:
        row = CaseRow(case_id=case.case_id, state=ACTIVE, revoked_reason="")
    _copy_case_fields(row, case, at)
    row.state = _merged_state(row, case, pending)
    session.add(row)
    session.flush()  # the case row before its attempts (no ORM relationship orders them)
    _merge_attempts(session, case, pending, new)
    if not pending:
        _copy_appointment(row, case)  # else our own appointment is newer than the server's
    session.flush()
    replan(session, row, rules)
    if not pending and case.next_call_at is not None:
        # the server plans with the project's rules, which may differ from our defaults
        row.next_call_at = case.next_call_at
    if case.correction is not None:
        apply_correction(session, row, case.correction, at)


def _is_old_news(row: CaseRow, version: int) -> bool:
    if row.state == REVOKED:
        return version <= row.assignment_version  # only a new grant brings it back
    return version < row.assignment_version


def apply_correction(session: Session, row: CaseRow, correction: dict[str, Any],
                     at: datetime) -> None:
    """Reopen the case for a correction and pre-fill a new draft with the rejected version's
    answers, chained to it by base_version_uuid. Done once per rejected version."""
    rejected = str(correction.get("version_uuid") or "")
    if not rejected:
        log(session, at, "error", f"case {row.case_id}: a correction arrived without the "
            "rejected version's id; ask your supervisor to send it again")
        return
    already = session.scalar(select(InterviewRow.id).where(
        InterviewRow.base_version_uuid == rejected))
    if already is not None:
        return
    row.correction = {k: v for k, v in correction.items() if k != "answers"}
    row.state, row.updated_at = ACTIVE, at
    original = session.scalar(select(InterviewRow).where(InterviewRow.version_uuid == rejected))
    if open_draft_row(session, row.case_id) is not None:
        log(session, at, "warning", f"case {row.case_id}: a correction arrived while an "
            "interview is open; finish it, then the correction is offered")
        return
    draft = _correction_draft(row, correction, original, rejected, at)
    session.add(draft)
    session.flush()
    answers = correction.get("answers") or {}
    for name, value in answers.items():
        if value is not None:
            session.add(AnswerRow(interview_id=draft.id, name=name, value=value))


def log(session: Session, at: datetime, level: str, message: str) -> None:
    session.add(SyncLogRow(at=at, level=level, message=message))


# --- changes ---------------------------------------------------------------------------------

def _apply_upsert(session: Session, rules: CallingRules, change: Change, at: datetime) -> None:
    try:
        case = QueueCase.model_validate(change.body)
    except ValidationError as error:
        # keep syncing: one malformed change must not stop every later one from arriving
        log(session, at, "error", f"change {change.seq}: case {change.case_id} could not be "
            f"read ({error.error_count()} problem(s)); tell your supervisor")
        return
    upsert_case(session, rules, case, at)


def _apply_revoked(session: Session, change: Change, at: datetime) -> None:
    row = session.get(CaseRow, change.case_id) if change.case_id is not None else None
    if row is None:
        return
    # the revocation bumped the version; holding that version or a later one means the case
    # was given back to us since, so this is old news
    revoked_at = change.assignment_version
    if revoked_at is not None and row.assignment_version >= revoked_at:
        return
    if row.state != REVOKED:
        log(session, at, "warning", f"case {row.case_id} was taken back: "
            f"{change.body.get('reason') or 'no reason given'}")
    # drafts, attempts and outbox items stay: never lose what the respondent said (G4)
    row.state = REVOKED
    row.revoked_reason = str(change.body.get("reason") or "")[:1000]
    row.updated_at = at


def _apply_rejected(session: Session, rules: CallingRules, change: Change, at: datetime) -> None:
    case_body = change.body.get("case")
    if isinstance(case_body, dict):
        _apply_upsert(session, rules, change.model_copy(update={"body": case_body}), at)
    row = session.get(CaseRow, change.case_id) if change.case_id is not None else None
    if row is None:
        log(session, at, "error", f"case {change.case_id}: an interview came back for "
            "correction but the case is not on this device; sync again or ask your supervisor")
        return
    if change.assignment_version is not None:
        row.assignment_version = max(row.assignment_version, change.assignment_version)
    apply_correction(session, row, {k: v for k, v in change.body.items() if k != "case"}, at)


def _want_questionnaire(session: Session, body: dict[str, Any]) -> None:
    qid, version = body.get("questionnaire_id"), body.get("version")
    if not isinstance(qid, str) or not isinstance(version, int):
        return
    if session.get(QuestionnaireRow, (qid, version)) is None:
        session.add(QuestionnaireRow(qid=qid, version=version, definition=None))


# --- helpers ---------------------------------------------------------------------------------

def _copy_case_fields(row: CaseRow, case: QueueCase, at: datetime) -> None:
    row.assignment_version = case.assignment_version
    row.service_code, row.service_name = case.service_code, case.service_name
    row.questionnaire_id = case.questionnaire_id
    row.questionnaire_version = case.questionnaire_version
    row.priority, row.respondent_name = case.priority, case.respondent_name
    row.phones = list(case.phones)
    row.office, row.dzongkhag = case.office, case.dzongkhag
    row.date_availed, row.language = case.date_availed, case.language
    row.purged_at, row.updated_at = None, at


def _copy_appointment(row: CaseRow, case: QueueCase) -> None:
    appointment = case.appointment
    row.appointment_at = appointment.at if appointment else None
    row.appointment_kind = appointment.kind.value if appointment else None
    row.appointment_by = appointment.booked_by if appointment else None


def _merged_state(row: CaseRow, case: QueueCase, pending: set[str]) -> str:
    if case.state in _SERVER_STOPPED:
        return DONE
    if row.state == DONE and pending:
        return DONE  # our final work is still on its way; the server does not know it yet
    return ACTIVE


def _merge_attempts(session: Session, case: QueueCase, pending: set[str], new: bool) -> None:
    """The server's history replaces what it already knows; attempts still in our outbox
    stay, and a server attempt equal to one of them (its reply was lost) is not doubled."""
    kept = [] if new else [a for a in attempt_rows(session, case.case_id)
                           if a.item_uuid in pending]
    if not new:
        session.execute(delete(AttemptRow).where(
            AttemptRow.case_id == case.case_id,
            AttemptRow.id.not_in([a.id for a in kept])))
    mine = {(a.started_at, a.outcome, a.phone_index) for a in kept}
    for attempt in case.attempts:
        if (attempt.started_at, attempt.outcome, attempt.phone_index) in mine:
            continue
        session.add(AttemptRow(case_id=case.case_id, item_uuid=None, started_at=attempt.started_at,
                               ended_at=None, outcome=attempt.outcome,
                               aapor_code=attempt.aapor_code, phone_index=attempt.phone_index,
                               note=attempt.note, enumerator=attempt.enumerator))


def _correction_draft(row: CaseRow, correction: dict[str, Any],
                      original: InterviewRow | None, rejected: str, at: datetime
                      ) -> InterviewRow:
    def pick(key: str, from_original: Any, default: Any) -> Any:
        value = correction.get(key)
        if value is not None:
            return value
        return from_original if original is not None else default

    return InterviewRow(
        interview_uuid=str(pick("interview_uuid", original and original.interview_uuid,
                                uuid.uuid4())),
        case_id=row.case_id,
        questionnaire_id=pick("questionnaire_id", original and original.questionnaire_id,
                              row.questionnaire_id),
        questionnaire_version=int(pick("questionnaire_version",
                                       original and original.questionnaire_version,
                                       row.questionnaire_version)),
        language=pick("language", original and original.language, row.language),
        current_item=None,
        started_at=at,
        phone_index=int(pick("phone_index", original and original.phone_index, 0)),
        base_version_uuid=rejected, status=OPEN)
