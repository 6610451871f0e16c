"""The fast path of ``POST /v1/sync/push`` for the everyday batch.

Most batches are fresh work from the device that holds the cases: new attempts and finished
interviews, nothing replayed, nothing stale, no corrections. For those, the per-item path (a
savepoint and a dozen statements per item) is almost all overhead, so this module applies the
whole batch set-wise: one read each for the ledger, the cases (locked), their attempt history
and their primary interviews; the rules of ``cati_app.core`` run in memory item by item, in
order; then one bulk insert per table and one flush of the case changes, inside one savepoint.

It gives exactly the results and rows the per-item path would (a test compares the two), and
it declines (returns None) whenever a batch holds anything else: a replay, a stale or unknown
case, an invalid payload or answers, a correction, an interview for a case that already has
one, a case closed by an earlier item of the batch, or an
insert that collides with a concurrent push. The caller then takes the per-item path, which
owns every rule for those cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import DataError, IntegrityError

from cati_app.core import outcomes
from cati_app.core.protocol import (
    ContactAttemptPayload,
    InterviewVersionPayload,
    ItemKind,
    ItemResult,
    ItemStatus,
    PushItem,
)
from cati_app.core.questionnaire import answer_problems, completion, normalise_answers
from cati_app.core.scheduling import AttemptRecord
from cati_app.server.models import (
    AuditEntry,
    Case,
    CaseState,
    ContactAttempt,
    InterviewVersion,
    PushedItem,
    ReviewStatus,
)
from cati_app.server.services.cases import assignments, case_plan
from cati_app.server.services.cases.appointment_bounds import appointment_problem
from cati_app.server.services.sync.interviews import phone_index_of, questionnaire_for
from cati_app.server.services.sync.push_common import PushContext, check_item_times

FAST_KINDS = frozenset({ItemKind.contact_attempt, ItemKind.interview_version})


class Decline(Exception):
    """This batch needs the per-item path."""


@dataclass
class _Rows:
    ledger: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    results: list[ItemResult] = field(default_factory=list)


def push_fast(pc: PushContext, items: list[PushItem], digests: list[str]
              ) -> list[ItemResult] | None:
    """The results of the whole batch, or None when it must take the per-item path."""
    if not items or any(i.kind not in FAST_KINDS for i in items):
        return None
    uuids = [str(i.item_uuid) for i in items]
    if len(set(uuids)) != len(uuids) or pc.session.scalar(
            select(PushedItem.item_uuid).where(PushedItem.item_uuid.in_(uuids)).limit(1)):
        return None
    pc.session.info[assignments.DEFERRED_HOLD_ENDS] = []  # closed cases' holds: one statement
    try:
        with pc.session.begin_nested():
            rows = _plan_batch(pc, items, digests)
            _write(pc, rows)
            return rows.results
    except (Decline, IntegrityError, DataError, OverflowError):
        return None  # the savepoint is rolled back; the per-item path starts afresh
    finally:
        pc.session.info.pop(assignments.DEFERRED_HOLD_ENDS, None)


def _plan_batch(pc: PushContext, items: list[PushItem], digests: list[str]) -> _Rows:
    case_ids = sorted({i.case_id for i in items})
    cases = {c.id: c for c in pc.session.scalars(
        select(Case).where(Case.id.in_(case_ids)).order_by(Case.id).with_for_update())}
    for item in items:
        case = cases.get(item.case_id)
        if case is None or not (case.held_on(pc.user.id, pc.device_id)
                                and case.state == CaseState.HELD
                                and case.assignment_version == item.assignment_version):
            raise Decline
    history = case_plan.load_history(pc.session, case_ids)
    with_primary = set(pc.session.scalars(select(InterviewVersion.case_id).where(
        InterviewVersion.case_id.in_(case_ids), InterviewVersion.primary.is_(True))))
    rows = _Rows()
    for item, digest in zip(items, digests, strict=True):
        case = cases[item.case_id]
        if case.state != CaseState.HELD:  # closed by an earlier item of this batch
            raise Decline
        record, detail = _apply(pc, item, case, rows, with_primary)
        case_history = history.setdefault(case.id, [])
        case_history.append(record)
        case_plan.apply_history(pc.session, case, case_history, pc.ctx.rules, at=pc.now,
                                by=pc.user.id, device_id=pc.device_id)
        detail = detail.format(state=case.state)
        rows.ledger.append(dict(
            item_uuid=str(item.item_uuid), kind=item.kind.value, content_hash=digest,
            user_id=pc.user.id, device_id=pc.device_id, case_id=case.id,
            status=ItemStatus.stored.value, detail=detail[:500], conflict_id=None,
            received_at=pc.now))
        rows.audit.append(dict(
            at=pc.now, user_id=pc.user.id, device_id=pc.device_id,
            action=f"push.{item.kind.value}", entity="case", entity_id=str(case.id),
            details={"item_uuid": str(item.item_uuid), "stale": False,
                     "assignment_version": item.assignment_version}))
        rows.results.append(ItemResult(item_uuid=item.item_uuid, status=ItemStatus.stored,
                                       detail=detail))
    return rows


def _apply(pc: PushContext, item: PushItem, case: Case, rows: _Rows, with_primary: set[int]
           ) -> tuple[AttemptRecord, str]:
    """The rows of one item and its attempt for the rules; the detail has a {state} slot."""
    if item.kind is ItemKind.contact_attempt:
        return _attempt(pc, item, case, rows)
    return _interview(pc, item, case, rows, with_primary)


def _attempt(pc: PushContext, item: PushItem, case: Case, rows: _Rows
             ) -> tuple[AttemptRecord, str]:
    p = _payload(ContactAttemptPayload, item)
    kind = outcomes.BY_KEY.get(p.outcome)
    if (kind is None or kind.derived or (p.outcome_code not in (None, kind.aapor_code))
            or p.phone_index >= max(1, len(case.phones()))
            or appointment_problem(p.appointment_at, pc.now, pc.ctx.settings) is not None):
        raise Decline  # the per-item path words the rejection
    times = check_item_times(pc, case, p.started_at, p.ended_at, p.appointment_at)
    if times.flags:
        raise Decline  # the per-item path flags implausible times
    rows.attempts.append(_attempt_row(pc, item, case, p.started_at, p.ended_at, p.phone_index,
                                      kind, note=p.note, appointment_at=p.appointment_at,
                                      effective_at=times.effective_at,
                                      appointment_kind=p.appointment_kind))
    if kind.books_appointment and p.appointment_at is not None:
        case_plan.set_appointment(case, p.appointment_at, (p.appointment_kind or "soft"),
                                  pc.user.id)
    else:
        case_plan.set_appointment(case, None, None, None)
    note = "" if p.note or not kind.needs_note else " (this outcome should carry a note)"
    record = AttemptRecord(p.started_at, kind.key, p.phone_index, pc.user.id)
    return record, "stored; case {state}" + note


def _interview(pc: PushContext, item: PushItem, case: Case, rows: _Rows,
               with_primary: set[int]) -> tuple[AttemptRecord, str]:
    p = _payload(InterviewVersionPayload, item)
    phone_index = phone_index_of(item)
    if (p.base_version_uuid is not None or phone_index >= max(1, len(case.phones()))
            or case.id in with_primary):  # a second interview: the per-item rules decide
        raise Decline
    times = check_item_times(pc, case, p.started_at, p.ended_at)
    if times.flags:
        raise Decline
    q, problems = questionnaire_for(pc.ctx, pc.session, p.questionnaire_id,
                                    p.questionnaire_version)
    try:
        answers = normalise_answers(q, p.answers)
    except ValueError:
        raise Decline from None  # the per-item path words the rejection
    kind = outcomes.outcome(completion(q, answers))
    primary = True
    with_primary.add(case.id)
    rows.versions.append(dict(
        version_uuid=str(p.version_uuid), item_uuid=str(item.item_uuid),
        interview_uuid=str(p.interview_uuid), base_version_uuid=None, case_id=case.id,
        user_id=pc.user.id, device_id=pc.device_id,
        assignment_version=item.assignment_version, questionnaire_id=p.questionnaire_id,
        questionnaire_version=p.questionnaire_version, language=p.language,
        started_at=p.started_at, ended_at=p.ended_at, answers=answers,
        completion=kind.key, problems=(problems + answer_problems(q, answers))[:50],
        primary=primary, stale=False, review_status=ReviewStatus.PENDING,
        review_comment="", received_at=pc.now))
    rows.attempts.append(_attempt_row(pc, item, case, p.started_at, p.ended_at, phone_index,
                                      kind, interview_version_uuid=str(p.version_uuid),
                                      effective_at=times.effective_at))
    record = AttemptRecord(p.started_at, kind.key, phone_index, pc.user.id)
    return record, f"stored: {kind.key}; case {{state}}"


def _attempt_row(pc: PushContext, item: PushItem, case: Case, started_at: Any, ended_at: Any,
                 phone_index: int, kind: outcomes.Outcome, **extra: Any) -> dict[str, Any]:
    row = dict(item_uuid=str(item.item_uuid), case_id=case.id, user_id=pc.user.id,
               device_id=pc.device_id, assignment_version=item.assignment_version,
               started_at=started_at, ended_at=ended_at, phone_index=phone_index,
               outcome=kind.key, aapor_code=kind.aapor_code, note="", appointment_at=None,
               appointment_kind=None, stale=False, interview_version_uuid=None,
               received_at=pc.now, time_flags=[])
    row.update(extra)
    return row


def _payload(model: type, item: PushItem) -> Any:
    try:
        return model.model_validate(item.payload)
    except ValidationError:
        raise Decline from None


def _write(pc: PushContext, rows: _Rows) -> None:
    """Ledger first, as on the per-item path: a concurrent push of the same items collides
    here, the savepoint rolls back, and the per-item path answers ``duplicate``."""
    session = pc.session
    session.execute(insert(PushedItem), rows.ledger)
    if rows.versions:
        session.execute(insert(InterviewVersion), rows.versions)
    session.execute(insert(ContactAttempt), rows.attempts)
    session.execute(insert(AuditEntry), rows.audit)
    assignments.end_holds_now(session, session.info[assignments.DEFERRED_HOLD_ENDS])
    session.flush()
