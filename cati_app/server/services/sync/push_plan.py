"""The one rule path of a pushed item: validate it, decide whether it is current, and say
which rows it makes (plain dataclasses). Both write strategies of push use it: the per-item
path (``push``, ``push_apply``, ``interviews``) turns the intents into ORM rows one item at a
time, the set-wise path (``push_batch``) inserts a whole batch's intents with one statement per
table. Only the writing differs; every rule a pushed item meets is here or in cati_app.core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.core import outcomes
from cati_app.core.languages import LANGUAGES
from cati_app.core.protocol import (
    PAYLOAD_MODELS,
    ContactAttemptPayload,
    InterviewVersionPayload,
    ItemStatus,
    PushItem,
)
from cati_app.core.questionnaire import (
    Questionnaire,
    answer_problems,
    completion,
    default_questionnaire,
    load_questionnaire,
    normalise_answers,
)
from cati_app.core.scheduling import AttemptRecord
from cati_app.core.time_checks import TimeCheck
from cati_app.server.context import AppContext
from cati_app.server.models import Case, CaseState, QuestionnaireVersion, ReviewStatus
from cati_app.server.services.cases import case_plan
from cati_app.server.services.cases.appointment_bounds import appointment_problem
from cati_app.server.services.reporting.stored_scores import scores_for
from cati_app.server.services.sync.push_common import (
    ItemRejected,
    PushContext,
    check_item_times,
)

#: the ledger's column is a 32-bit INTEGER on PostgreSQL; an id past it names no case anyway,
#: and the quarantined body keeps it as sent
LEDGER_INT = 2**31


# --- row intents: what a pushed item writes, before any strategy writes it ------------------

@dataclass
class Row:
    """A row to insert, column name → value; ``values()`` feeds an ORM class or a bulk
    insert alike."""

    def values(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class LedgerRow(Row):
    item_uuid: str
    kind: str
    content_hash: str
    user_id: int
    device_id: str
    case_id: int | None
    status: str
    detail: str
    received_at: datetime
    conflict_id: int | None = None


@dataclass
class AttemptRow(Row):
    item_uuid: str
    case_id: int
    service_id: int
    user_id: int
    device_id: str
    assignment_version: int
    started_at: datetime
    ended_at: datetime | None
    phone_index: int
    outcome: str
    aapor_code: str
    stale: bool
    received_at: datetime
    effective_at: datetime
    time_flags: list[str]
    note: str = ""
    appointment_at: datetime | None = None
    appointment_kind: str | None = None
    interview_version_uuid: str | None = None


@dataclass
class InterviewRow(Row):
    version_uuid: str
    item_uuid: str
    interview_uuid: str
    base_version_uuid: str | None
    case_id: int
    user_id: int
    device_id: str
    assignment_version: int
    questionnaire_id: str
    questionnaire_version: int
    language: str
    started_at: datetime
    ended_at: datetime | None
    answers: dict[str, object]
    completion: str
    problems: list[str]
    primary: bool
    stale: bool
    received_at: datetime
    review_status: str = ReviewStatus.PENDING
    review_comment: str = ""
    #: the SET scores, stored with the version (``reporting.stored_scores``)
    score_accessibility: float | None = None
    score_timeliness: float | None = None
    score_attitude: float | None = None
    score_integrity: float | None = None
    score_feedback: float | None = None
    score_composite: float | None = None


@dataclass
class AuditRow(Row):
    at: datetime
    user_id: int | None
    device_id: str
    action: str
    entity: str
    entity_id: str
    details: dict[str, Any] = field(default_factory=dict)


# --- the plan of one item ------------------------------------------------------------------

@dataclass
class AttemptPlan:
    """A contact attempt, checked: its row, its outcome and what the calling rules read."""
    row: AttemptRow
    outcome: outcomes.Outcome
    times: TimeCheck
    payload: ContactAttemptPayload
    #: the number dialled when the respondent asked never to be called again (the outcome's
    #: ``do_not_call``): it goes on the register (services.cases.do_not_call_register)
    do_not_call: str | None = None

    def record(self) -> AttemptRecord:
        return AttemptRecord(self.row.effective_at, self.outcome.key, self.row.phone_index,
                             self.row.user_id)

    def detail(self, state: str) -> str:
        needs_note = self.outcome.needs_note and not self.payload.note
        return f"stored; case {state}" + (" (this outcome should carry a note)"
                                           if needs_note else "")


@dataclass
class InterviewPlan:
    """An interview version, scored: its row, the call that made it, and its outcome."""
    version: InterviewRow
    attempt: AttemptRow | None  # None for a correction: no new call was made
    outcome: outcomes.Outcome
    times: TimeCheck

    def record(self) -> AttemptRecord:
        assert self.attempt is not None
        return AttemptRecord(self.attempt.effective_at, self.outcome.key,
                             self.attempt.phone_index, self.attempt.user_id)

    def detail(self, state: str) -> str:
        return f"stored: {self.outcome.key}; case {state}"


def book_or_clear_appointment(pc: PushContext, case: Case, plan: AttemptPlan) -> None:
    """A current call books the appointment it reports, or uses up the one the case had."""
    if plan.outcome.books_appointment and plan.times.appointment_at is not None:
        case_plan.set_appointment(case, plan.times.appointment_at,
                                  plan.payload.appointment_kind or "soft", pc.user.id)
    else:
        case_plan.set_appointment(case, None, None, None)


def parse_payload(item: PushItem) -> BaseModel:
    model = PAYLOAD_MODELS[item.kind]
    try:
        return model.model_validate(item.payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise ItemRejected(f"invalid {item.kind.value} payload: {where}: {first['msg']}"
                           ) from None


def is_current(pc: PushContext, case: Case, item: PushItem) -> bool:
    """The pusher holds the case, on this device (G5), at the item's assignment_version.
    Anything else from someone who once held the case is stale: stored, flagged, never
    dropped (G4)."""
    return (case.held_on(pc.user.id, pc.device_id) and case.state == CaseState.HELD
            and case.assignment_version == item.assignment_version)


def plan_attempt(pc: PushContext, item: PushItem, case: Case, p: ContactAttemptPayload,
                 current: bool) -> AttemptPlan:
    """Check a call's outcome, phone and appointment (ItemRejected says what is wrong)."""
    try:
        kind = outcomes.outcome(p.outcome)
    except outcomes.UnknownOutcome as exc:
        raise ItemRejected(str(exc)) from None
    if kind.derived:
        raise ItemRejected(f"{p.outcome} comes from the interview's answers: push the "
                           "interview_version instead")
    if kind.server_only:
        raise ItemRejected(f"{p.outcome} is set by the server when it withdraws a case: "
                           "push the outcome of the call instead")
    if p.outcome_code is not None and p.outcome_code != kind.aapor_code:
        raise ItemRejected(f"outcome {p.outcome} has AAPOR code {kind.aapor_code}, "
                           f"not {p.outcome_code}")
    if kind.refers_language and p.language not in LANGUAGES:
        raise ItemRejected(f"outcome {kind.key} needs the respondent's language: language "
                           f"one of {', '.join(LANGUAGES)}, got {p.language!r}")
    check_phone(case, p.phone_index)
    check_appointment(pc, p.appointment_at)
    times = check_item_times(pc, case, p.started_at, p.ended_at, p.appointment_at)
    row = attempt_row(pc, item, case, p.started_at, p.ended_at, p.phone_index, kind, times,
                      current, note=p.note, appointment_at=p.appointment_at,
                      appointment_kind=p.appointment_kind)
    dialled = case.phones()[p.phone_index] if kind.do_not_call else None
    return AttemptPlan(row, kind, times, p, do_not_call=dialled)


def plan_interview(pc: PushContext, item: PushItem, case: Case, p: InterviewVersionPayload,
                   current: bool) -> InterviewPlan:
    """Score a new interview (not a correction) and make its version and attempt rows; the
    version is not primary yet (the caller decides, by the rules of DESIGN.md §4)."""
    q, problems = questionnaire_for(pc.ctx, pc.session, p.questionnaire_id,
                                    p.questionnaire_version)
    answers = normalised(q, p.answers)
    kind = outcomes.outcome(completion(q, answers))
    phone_index = p.phone_index
    check_phone(case, phone_index)
    times = check_item_times(pc, case, p.started_at, p.ended_at)
    version = interview_row(pc, item, case, p, q, answers, kind.key,
                            problems + answer_problems(q, answers) + times.flags)
    attempt = attempt_row(pc, item, case, p.started_at, p.ended_at, phone_index, kind, times,
                          current, interview_version_uuid=version.version_uuid)
    return InterviewPlan(version, attempt, kind, times)


def plan_correction(pc: PushContext, item: PushItem, case: Case, p: InterviewVersionPayload
                    ) -> InterviewPlan:
    """A corrected version: scored like any interview; no call, so no attempt row."""
    q, problems = questionnaire_for(pc.ctx, pc.session, p.questionnaire_id,
                                    p.questionnaire_version)
    answers = normalised(q, p.answers)
    kind = outcomes.outcome(completion(q, answers))
    times = TimeCheck(p.started_at, [])
    version = interview_row(pc, item, case, p, q, answers, kind.key,
                            problems + answer_problems(q, answers))
    return InterviewPlan(version, None, kind, times)


def interview_row(pc: PushContext, item: PushItem, case: Case, p: InterviewVersionPayload,
                  q: Questionnaire, answers: dict[str, object], completion_key: str,
                  problems: list[str]) -> InterviewRow:
    """The one place an interview version's row is made, whichever strategy writes it (what
    is derived from the answers and their questionnaire ``q`` belongs here)."""
    row = InterviewRow(
        version_uuid=str(p.version_uuid), item_uuid=str(item.item_uuid),
        interview_uuid=str(p.interview_uuid),
        base_version_uuid=str(p.base_version_uuid) if p.base_version_uuid else None,
        case_id=case.id, user_id=pc.user.id, device_id=pc.device_id,
        assignment_version=item.assignment_version, questionnaire_id=p.questionnaire_id,
        questionnaire_version=p.questionnaire_version, language=p.language,
        started_at=p.started_at, ended_at=p.ended_at, answers=answers,
        completion=completion_key, problems=problems[:50], primary=False,
        stale=not (case.holder_id == pc.user.id
                   and case.assignment_version == item.assignment_version),
        received_at=pc.now)
    for column, value in scores_for(q, answers).items():  # the score_* fields
        setattr(row, column, value)
    return row


def attempt_row(pc: PushContext, item: PushItem, case: Case, started_at: datetime,
                ended_at: datetime | None, phone_index: int, kind: outcomes.Outcome,
                times: TimeCheck, current: bool, *, note: str = "",
                appointment_at: datetime | None = None, appointment_kind: str | None = None,
                interview_version_uuid: str | None = None) -> AttemptRow:
    return AttemptRow(
        item_uuid=str(item.item_uuid), case_id=case.id, service_id=case.service_id,
        user_id=pc.user.id, device_id=pc.device_id, assignment_version=item.assignment_version,
        started_at=started_at, ended_at=ended_at, phone_index=phone_index, outcome=kind.key,
        aapor_code=kind.aapor_code, note=note, appointment_at=appointment_at,
        appointment_kind=appointment_kind, stale=not current,
        interview_version_uuid=interview_version_uuid, received_at=pc.now,
        effective_at=times.effective_at, time_flags=times.flags)


def push_audit(pc: PushContext, item: PushItem, case: Case, current: bool) -> AuditRow:
    return AuditRow(at=pc.now, user_id=pc.user.id, device_id=pc.device_id,
                    action=f"push.{item.kind.value}", entity="case", entity_id=str(case.id),
                    details={"item_uuid": str(item.item_uuid), "stale": not current,
                             "assignment_version": item.assignment_version})


def ledger_row(pc: PushContext, item: PushItem, digest: str, status: ItemStatus | str = "pending",
               detail: str = "", conflict_id: int | None = None) -> LedgerRow:
    return LedgerRow(item_uuid=str(item.item_uuid), kind=item.kind.value, content_hash=digest,
                     user_id=pc.user.id, device_id=pc.device_id,
                     case_id=item.case_id if -LEDGER_INT < item.case_id < LEDGER_INT else None,
                     status=status.value if isinstance(status, ItemStatus) else status,
                     detail=detail[:500], conflict_id=conflict_id, received_at=pc.now)


def check_phone(case: Case, phone_index: int) -> None:
    if phone_index >= max(1, len(case.phones())):
        raise ItemRejected(f"phone_index {phone_index}: the case has "
                           f"{len(case.phones())} number(s)")


def check_appointment(pc: PushContext, at: datetime | None) -> None:
    problem = appointment_problem(at, pc.now, pc.ctx.settings)
    if problem is not None:
        raise ItemRejected(problem)


def normalised(q: Questionnaire, answers: dict[str, object]) -> dict[str, object]:
    """The answers with choice codes sent as JSON numbers made text (``4`` -> ``"4"``), the
    same answers as the desktop sends; an item whose answer cannot be read is rejected."""
    try:
        return normalise_answers(q, answers)
    except ValueError as exc:
        raise ItemRejected(f"invalid interview answers: {exc}") from None


def questionnaire_for(ctx: AppContext, session: Session, qid: str, version: int
                      ) -> tuple[Questionnaire, list[str]]:
    """The definition an interview was made with. An old version is fine; one the server
    has never seen is scored with the newest of that id (and flagged), never refused.
    Stored versions never change, so each is parsed once per process (ctx.questionnaires)."""
    known = ctx.questionnaires.get((qid, version))
    if known is not None:
        return known, []
    definition = session.scalar(select(QuestionnaireVersion.definition).where(
        QuestionnaireVersion.qid == qid, QuestionnaireVersion.version == version))
    if definition is not None:
        parsed = ctx.questionnaires[(qid, version)] = load_questionnaire(definition)
        return parsed, []
    newest = session.scalar(select(QuestionnaireVersion.definition)
                            .where(QuestionnaireVersion.qid == qid)
                            .order_by(QuestionnaireVersion.version.desc()).limit(1))
    problem = f"questionnaire {qid} version {version} is unknown to the server"
    if newest is not None:
        return load_questionnaire(newest), [problem + "; scored with the newest"]
    return default_questionnaire(), [problem + "; scored with the default SET script"]
