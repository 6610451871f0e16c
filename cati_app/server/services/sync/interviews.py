"""Storing pushed interview versions: derive the outcome from the answers, apply corrections,
and the stale-completion rules of DESIGN.md §4."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cati_app.core import outcomes
from cati_app.core.protocol import InterviewVersionPayload, ItemStatus, PushItem
from cati_app.server.models import Case, ContactAttempt, InterviewVersion
from cati_app.server.services.cases import case_plan
from cati_app.server.services.complaints import intake
from cati_app.server.services.complaints.tickets import Actor
from cati_app.server.services.sync.push_common import (
    AFTER_NEW_ATTEMPTS,
    Applied,
    ItemRejected,
    PushContext,
    flag_times,
    raise_conflict,
    stale_outcome,
    to_supervisor,
    why_not_automatic,
)
from cati_app.server.services.sync.push_plan import (
    InterviewRow,
    plan_correction,
    plan_interview,
    questionnaire_for,
)

#: outcomes that make an interview a completion for the conflict rules
COMPLETIONS = frozenset({"complete", "partial"})


def store_interview(pc: PushContext, item: PushItem, case: Case, p: InterviewVersionPayload,
                    current: bool) -> Applied:
    if p.base_version_uuid is not None:
        return _correction(pc, item, case, p, current)
    plan = plan_interview(pc, item, case, p, current)
    first_interview = current and not _has_primary(pc.session, case.id)  # before adding rows
    version = add_interview(pc.session, plan.version)
    take_complaints(pc, [plan.version], {case.id: case})
    assert plan.attempt is not None
    pc.session.add(ContactAttempt(**plan.attempt.values()))
    flag_times(pc, item, case, plan.times, "an interview")
    if current:
        version.primary = first_interview
        case_plan.replan(pc.session, case, pc.ctx.rules, at=pc.now, by=pc.user.id,
                         device_id=pc.device_id)
        return Applied(ItemStatus.stored, plan.detail(case.state))
    return _stale(pc, item, case, version, plan.outcome)


def add_interview(session: Session, row: InterviewRow) -> InterviewVersion:
    """The per-item strategy's write of an interview version (push_batch writes a batch's
    with one insert)."""
    version = InterviewVersion(**row.values())
    session.add(version)
    return version


def take_complaints(pc: PushContext, rows: Iterable[InterviewRow],
                    cases: Mapping[int, Case]) -> None:
    """Tickets from the complaints in stored interview versions, and call-backs' answers
    (services.complaints.intake), whichever strategy wrote the versions."""
    for row in rows:
        q, _ = questionnaire_for(pc.ctx, pc.session, row.questionnaire_id,
                                 row.questionnaire_version)
        if intake.matters(q, row.answers):
            intake.from_interview(
                pc.session, q, cases[row.case_id], interview_uuid=row.interview_uuid,
                answers=row.answers, started_at=row.started_at, at=pc.now,
                actor=Actor(pc.user.id, pc.device_id))


def _stale(pc: PushContext, item: PushItem, case: Case, version: InterviewVersion,
           outcome: outcomes.Outcome) -> Applied:
    """An interview from someone who no longer holds the case: keep it, decide by the rules."""
    if outcome.key not in COMPLETIONS:
        pc.session.flush()
        return stale_outcome(pc, case, outcome, "an interview", item)
    primary = _primary_row(pc.session, case.id)
    if primary is not None and primary.completion in COMPLETIONS:
        conflict = raise_conflict(
            pc, case, "double_completion",
            "two completed interviews for one case: the first received stays primary",
            versions=[primary.version_uuid, version.version_uuid])
        pc.session.flush()
        return Applied(ItemStatus.stored_conflict, "stored; the first interview received "
                       "stays primary until a supervisor decides", conflict.id)
    if primary is None:
        version.primary = True  # the case's first interview; else the first received stays
    pc.session.flush()
    held_back = why_not_automatic(pc, case, item)
    if held_back is None and primary is not None:  # the new holder's interview came first
        held_back = (AFTER_NEW_ATTEMPTS, "a later holder's interview was received first")
    if held_back is not None:
        return _completion_to_supervisor(pc, case, version, primary, *held_back)
    conflict = raise_conflict(
        pc, case, "stale_completion_applied",
        "completed by a former holder after reassignment; the new holder had not started, "
        "so this interview stands and their copy was revoked", versions=[version.version_uuid])
    case_plan.close(pc.session, case, at=pc.now, by=pc.user.id, device_id=pc.device_id,
                    reason=f"completed by a former holder ({outcome.key})")
    case_plan.replan(pc.session, case, pc.ctx.rules, at=pc.now, by=pc.user.id,
                     device_id=pc.device_id)
    return Applied(ItemStatus.stored_conflict, "stored and made primary", conflict.id)


def _completion_to_supervisor(pc: PushContext, case: Case, version: InterviewVersion,
                              primary: InterviewVersion | None, kind: str, reason: str
                              ) -> Applied:
    """No automatic second call and no automatic close: the supervisor picks the version.
    Meanwhile the case counts by its primary interview (the first received)."""
    conflict = raise_conflict(
        pc, case, kind, f"completed by a former holder, but {reason}: no automatic second "
        "call; a supervisor decides",
        versions=[version.version_uuid] + ([primary.version_uuid] if primary else []))
    to_supervisor(pc, case, "completed by the former holder")
    case_plan.replan(pc.session, case, pc.ctx.rules, at=pc.now, by=pc.user.id,
                     device_id=pc.device_id)
    return Applied(ItemStatus.stored_conflict, "stored; the case waits for a supervisor",
                   conflict.id)


def _correction(pc: PushContext, item: PushItem, case: Case, p: InterviewVersionPayload,
                current: bool) -> Applied:
    """A new version of an interview a supervisor sent back: it replaces the primary version
    and goes to review again. No new call was made, so no attempt is recorded; the case's
    disposition follows the new primary version (case_plan.load_history reads it)."""
    base = pc.session.scalar(select(InterviewVersion).where(
        InterviewVersion.version_uuid == str(p.base_version_uuid),
        InterviewVersion.case_id == case.id))
    if base is None:
        raise ItemRejected(f"base version {p.base_version_uuid} is not an interview of case "
                           f"{case.id}: kept in quarantine")
    plan = plan_correction(pc, item, case, p)
    version, outcome = add_interview(pc.session, plan.version), plan.outcome
    take_complaints(pc, [plan.version], {case.id: case})
    if not current:
        conflict = raise_conflict(pc, case, "stale_correction",
                                  "a correction arrived from someone who no longer holds the "
                                  "case", versions=[base.version_uuid, version.version_uuid])
        pc.session.flush()
        return Applied(ItemStatus.stored_conflict, "stored; a supervisor decides", conflict.id)
    make_only_primary(pc.session, case.id, version)
    case.correction = None
    case_plan.close(pc.session, case, at=pc.now, by=pc.user.id, device_id=pc.device_id,
                    reason=f"corrected interview ({outcome.key})")
    case_plan.replan(pc.session, case, pc.ctx.rules, at=pc.now, by=pc.user.id,
                     device_id=pc.device_id)
    return Applied(ItemStatus.stored, f"correction stored: {outcome.key}; back to review")


def make_only_primary(session: Session, case_id: int, version: InterviewVersion) -> None:
    """``version`` becomes the case's one primary interview version (a unique index holds
    the invariant); the others are unmarked first, so the index never sees two."""
    session.flush()
    session.execute(update(InterviewVersion).where(InterviewVersion.case_id == case_id,
                                                   InterviewVersion.id != version.id)
                    .values(primary=False))
    version.primary = True
    session.flush()


def _primary_row(session: Session, case_id: int) -> InterviewVersion | None:
    return session.scalar(select(InterviewVersion).where(
        InterviewVersion.case_id == case_id, InterviewVersion.primary.is_(True)).limit(1))


def _has_primary(session: Session, case_id: int) -> bool:
    return session.scalar(select(InterviewVersion.id).where(
        InterviewVersion.case_id == case_id, InterviewVersion.primary.is_(True)).limit(1)
    ) is not None
