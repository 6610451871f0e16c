"""What each kind of pushed item does to a case, including the conflict rules of DESIGN.md §4.

"Current" means the pusher holds the case at the item's assignment_version. Anything else
from someone who once held the case is *stale*: it is stored and flagged, never dropped (G4).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from cati_app.core import outcomes
from cati_app.core.protocol import (
    AppointmentPayload,
    CaseReleasePayload,
    ContactAttemptPayload,
    InterviewVersionPayload,
    ItemKind,
    ItemStatus,
    PushItem,
)
from cati_app.server.audit import audit
from cati_app.server.models import Case, CaseFlag, CaseState, ContactAttempt
from cati_app.server.services.cases import assignments, case_plan, exclusions
from cati_app.server.services.cases.appointment_bounds import appointment_problem
from cati_app.server.services.sync.interviews import store_interview
from cati_app.server.services.sync.push_common import (
    Applied,
    ItemRejected,
    PushContext,
    check_item_times,
    flag_times,
    keep_aside,
    stale_outcome,
)


def apply_item(pc: PushContext, item: PushItem, payload: object) -> Applied:
    case = pc.session.scalar(select(Case).where(Case.id == item.case_id).with_for_update())
    if case is None or not (case.holder_id == pc.user.id
                            or assignments.ever_held_by(pc.session, case.id, pc.user.id)):
        # Unknown ids and other people's cases look alike (ids are not access control).
        raise ItemRejected(f"case {item.case_id} is not one of yours or does not exist: "
                           "kept in quarantine for a supervisor")
    # held_on: the pusher's device must be the one the case was granted to (G5, issue 10)
    current = (case.held_on(pc.user.id, pc.device_id) and case.state == CaseState.HELD
               and case.assignment_version == item.assignment_version)
    audit(pc.session, at=pc.now, user_id=pc.user.id, device_id=pc.device_id,
          action=f"push.{item.kind.value}", entity="case", entity_id=case.id,
          details={"item_uuid": str(item.item_uuid), "stale": not current,
                   "assignment_version": item.assignment_version})
    match item.kind:
        case ItemKind.contact_attempt:
            assert isinstance(payload, ContactAttemptPayload)
            return _attempt(pc, item, case, payload, current)
        case ItemKind.interview_version:
            assert isinstance(payload, InterviewVersionPayload)
            return _interview(pc, item, case, payload, current)
        case ItemKind.appointment:
            assert isinstance(payload, AppointmentPayload)
            return _appointment(pc, item, case, payload, current)
        case ItemKind.case_release:
            assert isinstance(payload, CaseReleasePayload)
            return _release(pc, case, payload, current)
    raise ItemRejected(f"unknown kind {item.kind}")  # pragma: no cover - enum is exhaustive


def _attempt(pc: PushContext, item: PushItem, case: Case, p: ContactAttemptPayload,
             current: bool) -> Applied:
    try:
        kind = outcomes.outcome(p.outcome)
    except outcomes.UnknownOutcome as exc:
        raise ItemRejected(str(exc)) from None
    if kind.derived:
        raise ItemRejected(f"{p.outcome} comes from the interview's answers: push the "
                           "interview_version instead")
    if p.outcome_code is not None and p.outcome_code != kind.aapor_code:
        raise ItemRejected(f"outcome {p.outcome} has AAPOR code {kind.aapor_code}, "
                           f"not {p.outcome_code}")
    if p.phone_index >= max(1, len(case.phones())):
        raise ItemRejected(f"phone_index {p.phone_index}: the case has "
                           f"{len(case.phones())} number(s)")
    _check_appointment(pc, p.appointment_at)
    times = check_item_times(pc, case, p.started_at, p.ended_at, p.appointment_at)
    pc.session.add(ContactAttempt(
        item_uuid=str(item.item_uuid), case_id=case.id, user_id=pc.user.id,
        device_id=pc.device_id, assignment_version=item.assignment_version,
        started_at=p.started_at, ended_at=p.ended_at, phone_index=p.phone_index,
        outcome=kind.key, aapor_code=kind.aapor_code, note=p.note,
        appointment_at=p.appointment_at, appointment_kind=p.appointment_kind,
        stale=not current, received_at=pc.now, effective_at=times.effective_at,
        time_flags=times.flags))
    pc.session.flush()
    flag_times(pc, item, case, times, "a call")
    if not current:
        return stale_outcome(pc, case, kind, "a call", item)
    if kind.books_appointment and times.appointment_at is not None:
        case_plan.set_appointment(case, times.appointment_at,
                                  (p.appointment_kind or "soft"), pc.user.id)
    else:
        case_plan.set_appointment(case, None, None, None)
    case_plan.replan(pc.session, case, pc.ctx.rules, at=pc.now, by=pc.user.id,
                     device_id=pc.device_id)
    note = "" if p.note or not kind.needs_note else " (this outcome should carry a note)"
    return Applied(ItemStatus.stored, f"stored; case {case.state}{note}")


def _interview(pc: PushContext, item: PushItem, case: Case, p: InterviewVersionPayload,
               current: bool) -> Applied:
    return store_interview(pc, item, case, p, current)


def _appointment(pc: PushContext, item: PushItem, case: Case, p: AppointmentPayload,
                 current: bool) -> Applied:
    _check_appointment(pc, p.at)
    if not current:
        keep_aside(pc, item, "appointment from a former holder: the case was reassigned")
        # the supervisor's case table shows it, so a promised call-back is not forgotten
        kind = "stale_hard_appointment" if p.kind.value == "hard" else "stale_appointment"
        pc.session.add(CaseFlag(case_id=case.id, kind=kind, user_id=pc.user.id,
                                detail="a former holder's appointment, kept aside",
                                created_at=pc.now))
        return Applied(ItemStatus.stored, "kept aside for the supervisor: the case was "
                       "reassigned")
    case_plan.set_appointment(case, p.at, p.kind.value, pc.user.id)
    case_plan.replan(pc.session, case, pc.ctx.rules, at=pc.now, by=pc.user.id,
                     device_id=pc.device_id)
    return Applied(ItemStatus.stored, "appointment set")


def _check_appointment(pc: PushContext, at: datetime | None) -> None:
    problem = appointment_problem(at, pc.now, pc.ctx.settings)
    if problem is not None:
        raise ItemRejected(problem)


def _release(pc: PushContext, case: Case, p: CaseReleasePayload, current: bool) -> Applied:
    if not current:
        return Applied(ItemStatus.stored, "nothing to release: the case was reassigned")
    assignments.return_to_pool(pc.session, case, at=pc.now, by=pc.user.id,
                               device_id=pc.device_id,
                               reason=f"{assignments.RELEASED}: {p.reason}".strip(": "))
    # any release, with or without a reason, means "not me" (see services.cases.exclusions)
    exclusions.exclude(pc.session, case.id, pc.user.id, reason=exclusions.RELEASED,
                       detail=p.reason, at=pc.now)
    return Applied(ItemStatus.stored, "returned to the pool for another enumerator: it will "
                   "not be offered to you again (a supervisor can still assign it to you)")


