"""Supervisor decisions (DESIGN.md §4): assign and reassign cases, change priority, resolve
conflicts between interview versions, approve or send back interviews for correction.

Every change of holder goes through ``services.cases.assignments`` (fencing token, history, feed,
audit). Cases are locked in id order before they change, so two supervisors (or a supervisor
and a claim) touching overlapping cases never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati_app.core.outcomes import BY_KEY
from cati_app.core.protocol import ChangeType, Correction, Role
from cati_app.core.protocol_supervision import AssignOutcome, ReviewItem
from cati_app.core.scheduling import CallingRules
from cati_app.server.audit import audit
from cati_app.server.errors import Conflict, NotFound, Unprocessable
from cati_app.server.feed import append_change, lock_feeds
from cati_app.server.models import (
    Case,
    CaseState,
    ContactAttempt,
    InterviewVersion,
    ReviewStatus,
    Service,
    User,
)
from cati_app.server.models import Conflict as ConflictRow
from cati_app.server.models import ConflictStatus as Status
from cati_app.server.schemas import (
    AssignResult,
    ConflictDetail,
    ConflictSummary,
    VersionDetail,
    VersionSummary,
)
from cati_app.server.services.cases import assignments, case_plan, exclusions
from cati_app.server.services.cases.case_views import queue_case_view
from cati_app.server.services.sync.interviews import make_only_primary
from cati_app.server.services.sync.push_common import STALE_FINAL_OUTCOME


@dataclass(frozen=True)
class Actor:
    """Who makes the change, for the audit log."""

    user_id: int
    device_id: str
    at: datetime


def lock_cases(session: Session, case_ids: Iterable[int]) -> dict[int, Case]:
    """Row-lock the cases (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers),
    in id order so concurrent lockers of overlapping sets cannot deadlock."""
    cases = session.scalars(
        select(Case).where(Case.id.in_(sorted(set(case_ids)))).order_by(Case.id)
        .with_for_update().execution_options(populate_existing=True)
    ).all()
    return {case.id: case for case in cases}


def send_case(session: Session, case: Case, at: datetime) -> None:
    """Put the holder's full, current view of the case in the holder's feed."""
    assert case.holder_id is not None
    view = queue_case_view(session, case)
    append_change(session, user_id=case.holder_id, type=ChangeType.case_upsert, at=at,
                  case_id=case.id, assignment_version=case.assignment_version,
                  body=view)


# --- assign --------------------------------------------------------------------------------


def assignable_enumerator(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.role != Role.enumerator.value:
        raise Unprocessable(f"{username!r} is not an enumerator: cases go only to enumerators")
    if not user.active:
        raise Unprocessable(f"{username!r} is deactivated: activate the account first")
    return user


def assign_cases(session: Session, actor: Actor, case_ids: list[int], to_user: str | None,
                 *, force: bool, reason: str) -> list[AssignResult]:
    target = assignable_enumerator(session, to_user) if to_user is not None else None
    cases = lock_cases(session, case_ids)
    lock_feeds(session, [c.holder_id for c in cases.values()] + [target.id if target else None])
    results = []
    for case_id in sorted(set(case_ids)):
        case = cases.get(case_id)
        if case is None:
            results.append(AssignResult(case_id=case_id, result="not_found",
                                        detail="no such case"))
        else:
            results.append(_assign_one(session, actor, case, target, force, reason.strip()))
    return results


def _assign_one(session: Session, actor: Actor, case: Case, target: User | None,
                force: bool, reason: str) -> AssignResult:
    def result(kind: AssignOutcome, detail: str) -> AssignResult:
        return AssignResult(case_id=case.id, result=kind, detail=detail,
                            assignment_version=case.assignment_version)

    target_id = target.id if target is not None else None
    if case.state == CaseState.CLOSED:
        return result("refused", "the case is closed")
    if case.holder_id == target_id and (target_id is not None or case.state == CaseState.QUEUED):
        return result("unchanged", "already there")
    if case.holder_id is not None and not (force and reason):
        return result("refused", "another enumerator holds this case: "
                      "set force and give a reason to take it away")
    why = reason or ("assigned by a supervisor" if target else "returned to the pool")
    if target is None:
        if case.holder_id is not None:  # the claim must not hand it straight back to them
            exclusions.exclude(session, case.id, case.holder_id, reason=exclusions.RETURNED,
                               detail=why, at=actor.at)
        assignments.return_to_pool(session, case, at=actor.at, reason=why, by=actor.user_id,
                                   device_id=actor.device_id)
        to_queue(case)
        return result("returned", why)
    if case.holder_id is not None:
        assignments.revoke_holder(session, case, at=actor.at, reason=why, by=actor.user_id,
                                  device_id=actor.device_id)
    # No delivery deadline: the new holder receives the case through its feed, not a claim.
    assignments.grant(session, case, user_id=target.id, at=actor.at, by=actor.user_id,
                      delivery_deadline=None, reason=why)
    send_case(session, case, actor.at)
    return result("assigned", f"assigned to {target.username}")


def set_priority(session: Session, actor: Actor, case_ids: list[int], priority: int) -> int:
    changed = [case for case in lock_cases(session, case_ids).values()
               if case.priority != priority]
    for case in changed:
        audit(session, at=actor.at, user_id=actor.user_id, device_id=actor.device_id,
              action="case.priority", entity="case", entity_id=case.id,
              details={"from": case.priority, "to": priority})
        case.priority = priority
        case.updated_at = actor.at
        if case.holder_id is not None:
            send_case(session, case, actor.at)  # the holder's queue order depends on it
    return len(changed)


# --- conflicts -----------------------------------------------------------------------------


def conflict_by_id(session: Session, conflict_id: int, *, lock: bool = False) -> ConflictRow:
    query = select(ConflictRow).where(ConflictRow.id == conflict_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    conflict = session.scalar(query)
    if conflict is None:
        raise NotFound(f"no conflict {conflict_id}")
    return conflict


def resolve_conflict(session: Session, actor: Actor, conflict_id: int, *,
                     primary_version_uuid: str | None, resolution: str,
                     rules: CallingRules, decision: str | None = None) -> ConflictRow:
    """Record the supervisor's decision. When the conflict is between interview versions,
    the chosen one becomes the case's only primary version (the one exports use) and the
    case's disposition follows it. A former holder's late final outcome (no version) is
    confirmed or dismissed (``decision``; confirm when left out, the side on which nobody
    calls a respondent who refused)."""
    conflict = conflict_by_id(session, conflict_id, lock=True)
    if conflict.status != Status.OPEN:
        raise Conflict(f"conflict {conflict_id} is resolved already")
    if conflict.versions and primary_version_uuid not in conflict.versions:
        raise Unprocessable("primary_version_uuid must be one of the conflict's versions: "
                            + ", ".join(conflict.versions))
    if not conflict.versions and primary_version_uuid:
        raise Unprocessable("this conflict involves no interview: leave out "
                            "primary_version_uuid")
    late_outcome = conflict.kind == STALE_FINAL_OUTCOME
    if decision is not None and not late_outcome:
        raise Unprocessable("decision (confirm or dismiss) is for a former holder's late final "
                            "outcome; for this conflict leave it out"
                            + (" and choose primary_version_uuid" if conflict.versions else ""))
    case = lock_cases(session, [conflict.case_id])[conflict.case_id]
    chosen = (_make_primary(session, case.id, primary_version_uuid)
              if primary_version_uuid else None)
    conflict.status = Status.RESOLVED
    conflict.resolved_at = actor.at
    conflict.resolved_by = actor.user_id
    conflict.resolution = resolution.strip()
    if late_outcome:
        decision = decision or "confirm"
        conflict.details = {**conflict.details, "decision": decision}
    audit(session, at=actor.at, user_id=actor.user_id, device_id=actor.device_id,
          action="conflict.resolve", entity="conflict", entity_id=conflict.id,
          details={"case_id": case.id, "primary_version_uuid": primary_version_uuid,
                   "decision": decision})
    if late_outcome:
        _decide_late_outcome(session, actor, case, conflict, decision == "confirm", rules)
    else:
        _settle_case(session, actor, case, chosen, rules)
    return conflict


def _make_primary(session: Session, case_id: int, version_uuid: str) -> InterviewVersion:
    chosen = session.scalar(select(InterviewVersion).where(
        InterviewVersion.version_uuid == version_uuid, InterviewVersion.case_id == case_id))
    if chosen is None:
        raise Unprocessable(f"version {version_uuid} is not an interview of case {case_id}")
    # Only one primary interview version per case: exports read the primary one.
    make_only_primary(session, case_id, chosen)
    return chosen


def _settle_case(session: Session, actor: Actor, case: Case,
                 chosen: InterviewVersion | None, rules: CallingRules) -> None:
    """After a decision: a case waiting for the supervisor is closed with the chosen
    interview's disposition when that is final, else goes back to the pool. A closed case
    takes the disposition of the interview now primary (case_plan reads it)."""
    final = BY_KEY.get(chosen.completion) if chosen is not None else None
    if final is not None and not final.final:
        final = None
    if chosen is not None and case.state in (CaseState.CLOSED, CaseState.NEEDS_SUPERVISOR):
        if final is not None:  # stands alone only for a case with no call recorded at all
            case.disposition, case.disposition_code = final.key, final.aapor_code
        case_plan.replan(session, case, rules, at=actor.at, by=actor.user_id,
                         device_id=actor.device_id)
    if case.state != CaseState.NEEDS_SUPERVISOR:
        return
    if final is None:
        assignments.return_to_pool(session, case, at=actor.at, reason="conflict resolved",
                                   by=actor.user_id, device_id=actor.device_id)
        to_queue(case)
        return
    _close(session, actor, case, f"conflict resolved ({final.key})")


def _close(session: Session, actor: Actor, case: Case, reason: str) -> None:
    case_plan.close(session, case, at=actor.at, by=actor.user_id, device_id=actor.device_id,
                    reason=reason)
    audit(session, at=actor.at, user_id=actor.user_id, device_id=actor.device_id,
          action="case.close", entity="case", entity_id=case.id,
          details={"disposition": case.disposition, "by": "conflict resolution"})


def _decide_late_outcome(session: Session, actor: Actor, case: Case, conflict: ConflictRow,
                         confirm: bool, rules: CallingRules) -> None:
    """A former holder's late final outcome (a refusal, say). Confirmed: the case closes
    with it and nobody calls again. Dismissed: the call stays in the history but no longer
    counts, and the case goes back to the enumerator who held it when the outcome arrived
    (the push took it from them so nobody would call meanwhile), or to the pool when that
    person cannot take it. Only a case still waiting for the supervisor is moved."""
    attempt = session.scalar(select(ContactAttempt).where(
        ContactAttempt.item_uuid == str(conflict.details.get("attempt_item_uuid", ""))))
    waiting = case.state == CaseState.NEEDS_SUPERVISOR and not _other_open_conflicts(
        session, case.id, conflict.id)
    if confirm:
        case_plan.replan(session, case, rules, at=actor.at, by=actor.user_id,
                         device_id=actor.device_id)
        if waiting:
            _close(session, actor, case, "a former holder's "
                   f"{attempt.outcome if attempt else 'final outcome'} confirmed")
        return
    if attempt is not None:
        attempt.dismissed = True
        session.flush()
    if waiting:
        holder = _returnable_holder(session, conflict.details.get("holder"))
        if holder is None:
            assignments.return_to_pool(session, case, at=actor.at, by=actor.user_id,
                                       device_id=actor.device_id,
                                       reason="a former holder's late outcome dismissed")
            to_queue(case)
        else:
            lock_feeds(session, [holder.id])
            assignments.grant(session, case, user_id=holder.id, at=actor.at,
                              by=actor.user_id, delivery_deadline=None,
                              reason="a former holder's late outcome dismissed")
    case_plan.replan(session, case, rules, at=actor.at, by=actor.user_id,
                     device_id=actor.device_id)
    if case.holder_id is not None:
        send_case(session, case, actor.at)


def _returnable_holder(session: Session, user_id: object) -> User | None:
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or user.role != Role.enumerator.value:
        return None
    return user


def _other_open_conflicts(session: Session, case_id: int, conflict_id: int) -> bool:
    return session.scalar(select(ConflictRow.id).where(
        ConflictRow.case_id == case_id, ConflictRow.status == Status.OPEN,
        ConflictRow.id != conflict_id).limit(1)) is not None


def to_queue(case: Case) -> None:
    """Back in the pool for claims (this also ends a needs_supervisor stop: the supervisor
    decided)."""
    case.state = CaseState.QUEUED
    case_plan.refresh_pool(case)


# --- review --------------------------------------------------------------------------------


def primary_version(session: Session, interview_uuid: str) -> InterviewVersion:
    versions = session.scalars(select(InterviewVersion)
                               .where(InterviewVersion.interview_uuid == interview_uuid)).all()
    if not versions:
        raise NotFound(f"no interview {interview_uuid}")
    primary = next((v for v in versions if v.primary), None)
    if primary is None:
        raise Conflict("this interview has no primary version yet: resolve its conflict first")
    return primary


def approve(session: Session, actor: Actor, interview_uuid: str, comment: str
            ) -> InterviewVersion:
    version = primary_version(session, interview_uuid)
    if version.review_status == ReviewStatus.REJECTED:
        raise Conflict("this version was sent back for correction: "
                       "review the corrected version when it arrives")
    version.review_status = ReviewStatus.APPROVED
    version.review_comment = comment.strip()
    audit(session, at=actor.at, user_id=actor.user_id, device_id=actor.device_id,
          action="interview.approve", entity="interview_version", entity_id=version.version_uuid,
          details={"case_id": version.case_id})
    return version


def reject(session: Session, actor: Actor, interview_uuid: str, comment: str
           ) -> tuple[InterviewVersion, Case]:
    """Send the interview back to the enumerator who made it, with the comment and answers;
    they push a corrected version based on this one."""
    version = primary_version(session, interview_uuid)
    if version.review_status == ReviewStatus.REJECTED:
        raise Conflict("this version is already back with its enumerator for correction")
    enumerator = session.get_one(User, version.user_id)
    if not enumerator.active:
        raise Conflict(f"{enumerator.username} is deactivated and cannot correct it: "
                       "activate the account or approve the interview")
    case = lock_cases(session, [version.case_id])[version.case_id]
    comment = comment.strip()
    version.review_status = ReviewStatus.REJECTED
    version.review_comment = comment
    _hand_back(session, actor, case, enumerator)
    case.correction = Correction(
        interview_uuid=version.interview_uuid, version_uuid=version.version_uuid,
        comment=comment, answers=version.answers, questionnaire_id=version.questionnaire_id,
        questionnaire_version=version.questionnaire_version).model_dump(mode="json")
    case.closed_at = None
    # the correction travels once, in the case's view: the feed entry below, and any claim
    # or snapshot until the corrected version arrives
    send_case(session, case, actor.at)
    audit(session, at=actor.at, user_id=actor.user_id, device_id=actor.device_id,
          action="interview.reject", entity="interview_version", entity_id=version.version_uuid,
          details={"case_id": case.id, "to_user": enumerator.id})
    return version, case


def list_for_review(session: Session, review_status: str, service: str | None, *, limit: int,
                    offset: int) -> tuple[int, list[ReviewItem]]:
    """Primary interview versions with ``review_status``, oldest first so none waits for
    ever; with the total for paging. Only primary versions: they are what exports use."""
    where = [InterviewVersion.primary.is_(True), InterviewVersion.review_status == review_status]
    if service:
        where.append(Service.code == service)
    base = (select(InterviewVersion, Service.code, User.username)
            .join(Case, Case.id == InterviewVersion.case_id)
            .join(Service, Service.id == Case.service_id)
            .join(User, User.id == InterviewVersion.user_id)
            .where(*where))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(base.order_by(InterviewVersion.received_at, InterviewVersion.id)
                           .limit(limit).offset(offset))
    return total, [_review_item(v, code, username) for v, code, username in rows]


def _review_item(v: InterviewVersion, service_code: str, username: str) -> ReviewItem:
    return ReviewItem(
        interview_uuid=v.interview_uuid, version_uuid=v.version_uuid, case_id=v.case_id,
        service_code=service_code, enumerator=username, completion=v.completion,
        ended_at=v.ended_at, received_at=v.received_at, problems=len(v.problems or []),
        questionnaire_id=v.questionnaire_id, questionnaire_version=v.questionnaire_version,
        language=v.language, answers=v.answers)


def _hand_back(session: Session, actor: Actor, case: Case, enumerator: User) -> None:
    if case.holder_id == enumerator.id:
        case.state = CaseState.HELD
        return
    if case.holder_id is not None:
        assignments.revoke_holder(session, case, at=actor.at,
                                  reason="interview returned to its enumerator for correction",
                                  by=actor.user_id, device_id=actor.device_id)
    assignments.grant(session, case, user_id=enumerator.id, at=actor.at, by=actor.user_id,
                      delivery_deadline=None, reason="correction")


# --- conflict views ------------------------------------------------------------------------


def list_conflicts(session: Session, status: str, *, limit: int, offset: int
                   ) -> tuple[int, list[ConflictSummary]]:
    where = ConflictRow.status == status
    total = session.scalar(select(func.count(ConflictRow.id)).where(where)) or 0
    conflicts = session.scalars(select(ConflictRow).where(where).order_by(ConflictRow.id)
                                .limit(limit).offset(offset)).all()
    # one query for the versions of the whole page, not one per conflict
    versions = _versions(session, [u for c in conflicts for u in c.versions])
    # validated from the row's fields: the status column is text, the model checks its value
    return total, [ConflictSummary.model_validate({**_conflict_fields(c), "versions": [
        VersionSummary.model_validate(versions[u]) for u in c.versions if u in versions]})
        for c in conflicts]


def conflict_detail(session: Session, conflict_id: int) -> ConflictDetail:
    conflict = conflict_by_id(session, conflict_id)
    versions = _versions(session, conflict.versions)
    state = session.scalar(select(Case.state).where(Case.id == conflict.case_id)) or ""
    return ConflictDetail.model_validate({**_conflict_fields(conflict), "case_state": state,
                                          "versions": [VersionDetail.model_validate(versions[u])
                                                       for u in conflict.versions
                                                       if u in versions]})


def _conflict_fields(conflict: ConflictRow) -> dict[str, object]:
    return {"id": conflict.id, "case_id": conflict.case_id, "kind": conflict.kind,
            "status": conflict.status, "description": conflict.description,
            "created_at": conflict.created_at, "resolved_at": conflict.resolved_at,
            "resolution": conflict.resolution}


def _versions(session: Session, version_uuids: list[str]) -> dict[str, dict[str, object]]:
    if not version_uuids:
        return {}
    rows = session.execute(
        select(InterviewVersion, User.username)
        .join(User, User.id == InterviewVersion.user_id)
        .where(InterviewVersion.version_uuid.in_(set(version_uuids))))
    return {v.version_uuid: _version_fields(v, username) for v, username in rows}


def _version_fields(v: InterviewVersion, username: str) -> dict[str, object]:
    answered = sum(1 for value in v.answers.values() if value not in (None, ""))
    return {
        "version_uuid": v.version_uuid, "interview_uuid": v.interview_uuid,
        "base_version_uuid": v.base_version_uuid, "enumerator": username,
        "completion": v.completion, "primary": v.primary, "stale": v.stale,
        "review_status": v.review_status, "answered": answered, "received_at": v.received_at,
        "assignment_version": v.assignment_version, "questionnaire_id": v.questionnaire_id,
        "questionnaire_version": v.questionnaire_version, "language": v.language,
        "started_at": v.started_at, "ended_at": v.ended_at, "answers": v.answers,
        "problems": v.problems, "review_comment": v.review_comment,
    }
