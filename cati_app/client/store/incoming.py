"""What the server sends: claimed cases and pages of the change feed. Every function here is
idempotent, so a page applied twice (a lost reply, a crash before the cursor moved) changes
nothing, and stale news (an older assignment_version) never overwrites newer local state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
from cati_app.core.protocol import (
    CaseRevoked,
    CaseUpsert,
    ConflictNotice,
    Correction,
    InterviewRejected,
    QuestionnaireAvailable,
    QueueCase,
    ReceivedChange,
    UnreadableChange,
)
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


def apply_change(session: Session, rules: CallingRules, change: ReceivedChange,
                 at: datetime) -> None:
    match change:
        case CaseUpsert():
            upsert_case(session, rules, change.body, at)
        case CaseRevoked():
            _apply_revoked(session, change, at)
        case InterviewRejected():
            _apply_rejected(session, change, at)
        case ConflictNotice():
            detail = change.body.description or "your supervisor will decide"
            log(session, at, "warning", f"case {change.case_id}: conflict: {detail}")
        case QuestionnaireAvailable():
            _want_questionnaire(session, change.body.questionnaire_id, change.body.version)
        case UnreadableChange():
            # keep syncing: one malformed change must not stop every later one from arriving
            log(session, at, "error", f"change {change.seq} ({change.type}) for case "
                f"{change.case_id} could not be read ({change.problems} problem(s)); tell "
                "your supervisor")


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


def apply_correction(session: Session, row: CaseRow, correction: Correction,
                     at: datetime) -> None:
    """Reopen the case for a correction and pre-fill a new draft with the rejected version's
    answers, chained to it by base_version_uuid. Done once per rejected version."""
    rejected = correction.version_uuid
    already = session.scalar(select(InterviewRow.id).where(
        InterviewRow.base_version_uuid == rejected))
    if already is not None:
        return
    row.correction = correction.model_dump(mode="json", exclude={"answers"})
    row.state, row.updated_at = ACTIVE, at
    original = session.scalar(select(InterviewRow).where(InterviewRow.version_uuid == rejected))
    if open_draft_row(session, row.case_id) is not None:
        log(session, at, "warning", f"case {row.case_id}: a correction arrived while an "
            "interview is open; finish it, then the correction is offered")
        return
    draft = _correction_draft(row, correction, original, rejected, at)
    session.add(draft)
    session.flush()
    for name, value in correction.answers.items():
        if value is not None:
            session.add(AnswerRow(interview_id=draft.id, name=name, value=value))


def log(session: Session, at: datetime, level: str, message: str) -> None:
    session.add(SyncLogRow(at=at, level=level, message=message))


# --- changes ---------------------------------------------------------------------------------

def _apply_revoked(session: Session, change: CaseRevoked, at: datetime) -> None:
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
            f"{change.body.reason or 'no reason given'}")
    # drafts, attempts and outbox items stay: never lose what the respondent said (G4)
    row.state = REVOKED
    row.revoked_reason = change.body.reason[:1000]
    row.updated_at = at


def _apply_rejected(session: Session, change: InterviewRejected, at: datetime) -> None:
    """A correction as servers sent it before it travelled in the case's view."""
    row = session.get(CaseRow, change.case_id) if change.case_id is not None else None
    if row is None:
        log(session, at, "error", f"case {change.case_id}: an interview came back for "
            "correction but the case is not on this device; sync again or ask your supervisor")
        return
    if change.assignment_version is not None:
        row.assignment_version = max(row.assignment_version, change.assignment_version)
    apply_correction(session, row, change.body, at)


def _want_questionnaire(session: Session, qid: str, version: int) -> None:
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
    row.language_may_not_match = case.language_may_not_match
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


def _correction_draft(row: CaseRow, correction: Correction,
                      original: InterviewRow | None, rejected: str, at: datetime
                      ) -> InterviewRow:
    """The new draft: the server's questionnaire of the rejected version, else the one the
    device made it with, else the case's; language and number from the device's version."""
    def pick(sent: Any, from_original: Any, default: Any) -> Any:
        if sent is not None:
            return sent
        return from_original if original is not None else default

    return InterviewRow(
        interview_uuid=correction.interview_uuid,
        case_id=row.case_id,
        questionnaire_id=pick(correction.questionnaire_id,
                              original and original.questionnaire_id, row.questionnaire_id),
        questionnaire_version=int(pick(correction.questionnaire_version,
                                       original and original.questionnaire_version,
                                       row.questionnaire_version)),
        language=original.language if original is not None else row.language,
        current_item=None,
        started_at=at,
        phone_index=original.phone_index if original is not None else 0,
        base_version_uuid=rejected, status=OPEN)
