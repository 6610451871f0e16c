"""Pieces every kind of pushed item shares: its result, rejection, conflicts and the
hand-over to a supervisor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati_app.core import outcomes
from cati_app.core.protocol import ChangeType, ConflictNoticeBody, ItemStatus, PushItem
from cati_app.core.safe_text import storable
from cati_app.core.time_checks import TimeCheck, check_times
from cati_app.server.audit import audit
from cati_app.server.context import AppContext
from cati_app.server.feed import append_change
from cati_app.server.models import (
    Assignment,
    Case,
    CaseState,
    Conflict,
    ConflictStatus,
    ContactAttempt,
    QuarantinedItem,
)
from cati_app.server.services.accounts.identity import CurrentUser
from cati_app.server.services.cases import assignments, case_plan

#: a call "before the case existed" is flagged only this far before it: cases are imported
#: some time before they are called, and only a clock far behind (reset to a past year) matters
BEHIND_MARGIN = timedelta(days=30)
IMPLAUSIBLE_TIME = "implausible_time"


@dataclass(frozen=True)
class PushContext:
    ctx: AppContext
    session: Session
    user: CurrentUser
    device_id: str
    now: datetime


class ItemRejected(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Applied:
    status: ItemStatus
    detail: str = ""
    conflict_id: int | None = None


#: the conflict a former holder's late final outcome raises; resolved by confirm or dismiss
STALE_FINAL_OUTCOME = "stale_final_outcome"


def stale_outcome(pc: PushContext, case: Case, kind: outcomes.Outcome, what: str,
                  item: PushItem) -> Applied:
    """A stale holder's call is history; a stale *final* outcome (a refusal, say) must stop
    the new holder from calling again, so a supervisor decides. While it waits the case
    counts as what was reported (the replan reads the stale call like any other), nobody is
    offered it (needs_supervisor), and the conflict remembers the call and the holder so the
    supervisor can confirm it or dismiss it (supervision.decide_late_outcome)."""
    if not kind.final or case.state == CaseState.CLOSED:
        return Applied(ItemStatus.stored, "stored as stale: the case was reassigned")
    conflict = raise_conflict(pc, case, STALE_FINAL_OUTCOME,
                              f"{what} coded {kind.key} by a former holder after the case was "
                              "reassigned", versions=[],
                              details={"attempt_item_uuid": str(item.item_uuid),
                                       "holder": case.holder_id})
    to_supervisor(pc, case, "a former holder's final outcome needs a supervisor")
    case_plan.replan(pc.session, case, pc.ctx.rules, at=pc.now, by=pc.user.id,
                     device_id=pc.device_id)
    return Applied(ItemStatus.stored_conflict, "stored; a supervisor decides", conflict.id)


def raise_conflict(pc: PushContext, case: Case, kind: str, description: str,
                   versions: list[str], details: dict[str, object] | None = None) -> Conflict:
    conflict = Conflict(case_id=case.id, kind=kind, description=description[:1000],
                        versions=versions, details={"reported_by": pc.user.id, **(details or {})},
                        created_at=pc.now)
    pc.session.add(conflict)
    pc.session.flush()
    append_change(pc.session, user_id=pc.user.id, type=ChangeType.conflict_notice, at=pc.now,
                  case_id=case.id, body=ConflictNoticeBody(conflict_id=conflict.id, kind=kind,
                                                           description=description))
    audit(pc.session, at=pc.now, user_id=pc.user.id, device_id=pc.device_id,
          action="conflict.raise", entity="case", entity_id=case.id,
          details={"conflict_id": conflict.id, "kind": kind})
    return conflict


def to_supervisor(pc: PushContext, case: Case, reason: str) -> None:
    if case.holder_id is not None:
        assignments.revoke_holder(pc.session, case, at=pc.now, by=pc.user.id,
                                  device_id=pc.device_id, reason=reason)
    case.state = CaseState.NEEDS_SUPERVISOR
    case.updated_at = pc.now


#: conflict kinds of a former holder's completion that waits for a supervisor
AFTER_NEW_ATTEMPTS = "stale_completion_after_new_attempts"
HELD_BACK = "stale_completion_held_back"


def why_not_automatic(pc: PushContext, case: Case, item: PushItem) -> tuple[str, str] | None:
    """(conflict kind, reason) when a former holder's completion must wait for a supervisor
    instead of standing on its own; None when DESIGN §4's automatic rule applies (reassigned
    while offline, and nobody has called since). Read from the assignment history, never from
    the current assignment_version: closing a case bumps that, which hid a new holder's
    break-off."""
    hold = pc.session.scalar(select(Assignment).where(
        Assignment.case_id == case.id, Assignment.version == item.assignment_version,
        Assignment.user_id == pc.user.id))
    if hold is None:
        return HELD_BACK, "the sender never held the case at the version it names"
    if hold.end_reason.startswith(assignments.RELEASED):
        return HELD_BACK, "the sender had released the case"
    if hold.end_reason.startswith(assignments.NEVER_ACKNOWLEDGED):
        return HELD_BACK, ("the sender never acknowledged the claim, so the case went back "
                           "to the pool")
    if new_holder_started(pc, case, item.assignment_version):
        return AFTER_NEW_ATTEMPTS, "a later holder had already called"
    return None


def new_holder_started(pc: PushContext, case: Case, since_version: int) -> bool:
    """Has anyone made a current (non-stale) call on the case on a later assignment than
    ``since_version``? Attempts carry the version they were made on, so this holds however
    often the version moved since (a close, a return, a reassignment)."""
    return (pc.session.scalar(select(func.count()).select_from(ContactAttempt).where(
        ContactAttempt.case_id == case.id, ContactAttempt.stale.is_(False),
        ContactAttempt.assignment_version > since_version)) or 0) > 0


def keep_aside(pc: PushContext, item: PushItem, reason: str) -> None:
    """Keep an item's content that cannot be applied, for a supervisor (G4: never discard).
    Kept as sent, but storable: a NUL shown as ␀, characters no workbook holds cleaned."""
    pc.session.add(QuarantinedItem(item_uuid=str(item.item_uuid), reason=storable(reason[:500]),
                                   user_id=pc.user.id, device_id=pc.device_id,
                                   body=storable(item.model_dump(mode="json")),
                                   received_at=pc.now))


def check_item_times(pc: PushContext, case: Case, started_at: datetime,
                     ended_at: datetime | None, appointment_at: datetime | None = None
                     ) -> TimeCheck:
    """The device's times against this push's receipt (cati_app.core.time_checks)."""
    return check_times(started_at, ended_at, received_at=pc.now,
                       tolerance=pc.ctx.settings.clock_tolerance,
                       not_before=case.created_at - BEHIND_MARGIN,
                       appointment_at=appointment_at)


def flag_times(pc: PushContext, item: PushItem, case: Case, check: TimeCheck, what: str
               ) -> None:
    """Implausible device times are never silently used: audited, and shown to a supervisor
    as one open ``implausible_time`` conflict per case (a device with a wrong clock sends many
    items; one notice per case is enough to have the clock put right)."""
    if not check.flags:
        return
    audit(pc.session, at=pc.now, user_id=pc.user.id, device_id=pc.device_id,
          action="push.time_flagged", entity="case", entity_id=case.id,
          details={"item_uuid": str(item.item_uuid), "flags": check.flags})
    open_notice = pc.session.scalar(select(Conflict.id).where(
        Conflict.case_id == case.id, Conflict.kind == IMPLAUSIBLE_TIME,
        Conflict.status == ConflictStatus.OPEN).limit(1))
    if open_notice is None:
        raise_conflict(pc, case, IMPLAUSIBLE_TIME,
                       f"{what} from device {pc.device_id} with an implausible time: "
                       + "; ".join(check.flags), versions=[])
