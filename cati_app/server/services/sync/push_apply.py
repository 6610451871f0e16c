"""What each kind of pushed item does to a case, including the conflict rules of DESIGN.md §4.

"Current" means the pusher holds the case at the item's assignment_version. Anything else
from someone who once held the case is *stale*: it is stored and flagged, never dropped (G4).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from cati_app.core.protocol import (
    AppointmentPayload,
    CaseReleasePayload,
    ContactAttemptPayload,
    InterviewVersionPayload,
    ItemKind,
    ItemStatus,
    PushItem,
)
from cati_app.server.errors import Unprocessable
from cati_app.server.models import AuditEntry, Case, CaseFlag, ContactAttempt
from cati_app.server.services.cases import (
    assignments,
    case_language,
    case_plan,
    do_not_call_register,
    exclusions,
)
from cati_app.server.services.sync.interviews import store_interview
from cati_app.server.services.sync.push_common import (
    Applied,
    ItemRejected,
    PushContext,
    flag_times,
    keep_aside,
    stale_outcome,
)
from cati_app.server.services.sync.push_plan import (
    book_or_clear_appointment,
    check_appointment,
    is_current,
    plan_attempt,
    push_audit,
)

log = logging.getLogger(__name__)


def apply_item(pc: PushContext, item: PushItem, payload: object) -> Applied:
    case = pc.session.scalar(select(Case).where(Case.id == item.case_id).with_for_update())
    if case is None or not (case.holder_id == pc.user.id
                            or assignments.ever_held_by(pc.session, case.id, pc.user.id)):
        # Unknown ids and other people's cases look alike (ids are not access control).
        raise ItemRejected(f"case {item.case_id} is not one of yours or does not exist: "
                           "kept in quarantine for a supervisor")
    current = is_current(pc, case, item)
    pc.session.add(AuditEntry(**push_audit(pc, item, case, current).values()))
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
    plan = plan_attempt(pc, item, case, p, current)
    pc.session.add(ContactAttempt(**plan.row.values()))
    pc.session.flush()
    flag_times(pc, item, case, plan.times, "a call")
    if not current:
        applied = stale_outcome(pc, case, plan.outcome, "a call", item)
    else:
        book_or_clear_appointment(pc, case, plan)
        case_plan.replan(pc.session, case, pc.ctx.rules, at=pc.now, by=pc.user.id,
                         device_id=pc.device_id)
        if plan.outcome.refers_language and p.language is not None:
            case_language.refer(pc.session, case, p.language, at=pc.now, by=pc.user.id,
                                device_id=pc.device_id)
        applied = Applied(ItemStatus.stored, plan.detail(case.state))
    if plan.do_not_call is not None:
        _never_call_again(pc, case, plan.do_not_call)
    return applied


def _never_call_again(pc: PushContext, case: Case, phone: str) -> None:
    """The person's wish stands even when the call was stale: the number is not dialled
    again, whatever a supervisor decides about the case. A number the register cannot hold
    (not a valid Bhutanese number: nothing imports one) must not fail the whole batch."""
    try:
        do_not_call_register.add(pc.session, phone, source="respondent",
                                 reason=f"said during a call on case {case.id}", at=pc.now,
                                 by=pc.user.id, device_id=pc.device_id)
    except Unprocessable:
        log.warning("case %s: the number dialled cannot go on the do-not-call register",
                    case.id)


def _interview(pc: PushContext, item: PushItem, case: Case, p: InterviewVersionPayload,
               current: bool) -> Applied:
    return store_interview(pc, item, case, p, current)


def _appointment(pc: PushContext, item: PushItem, case: Case, p: AppointmentPayload,
                 current: bool) -> Applied:
    check_appointment(pc, p.at)
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


