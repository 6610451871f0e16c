"""Pieces every kind of pushed item shares: its result, rejection, conflicts and the
hand-over to a supervisor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati_app.core import outcomes
from cati_app.core.protocol import ChangeType, ItemStatus, PushItem
from cati_app.core.safe_text import storable
from cati_app.server.audit import audit
from cati_app.server.context import AppContext
from cati_app.server.deps import CurrentUser
from cati_app.server.feed import append_change
from cati_app.server.models import Case, CaseState, Conflict, ContactAttempt, QuarantinedItem
from cati_app.server.services import assignments


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


def stale_outcome(pc: PushContext, case: Case, kind: outcomes.Outcome, what: str) -> Applied:
    """A stale holder's call is history; a stale *final* outcome (a refusal, say) must stop
    the new holder from calling again, so a supervisor decides."""
    if not kind.final or case.state == CaseState.CLOSED:
        return Applied(ItemStatus.stored, "stored as stale: the case was reassigned")
    conflict = raise_conflict(pc, case, "stale_final_outcome",
                              f"{what} coded {kind.key} by a former holder after the case was "
                              "reassigned", versions=[])
    to_supervisor(pc, case, "a former holder's final outcome needs a supervisor")
    return Applied(ItemStatus.stored_conflict, "stored; a supervisor decides", conflict.id)


def raise_conflict(pc: PushContext, case: Case, kind: str, description: str,
                   versions: list[str]) -> Conflict:
    conflict = Conflict(case_id=case.id, kind=kind, description=description[:1000],
                        versions=versions, details={"reported_by": pc.user.id},
                        created_at=pc.now)
    pc.session.add(conflict)
    pc.session.flush()
    append_change(pc.session, user_id=pc.user.id, type=ChangeType.conflict_notice, at=pc.now,
                  case_id=case.id, body={"conflict_id": conflict.id, "kind": kind,
                                         "description": description})
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


def new_holder_started(pc: PushContext, case: Case) -> bool:
    """Has anyone made a current (non-stale) call on the case's present assignment?"""
    return (pc.session.scalar(select(func.count()).select_from(ContactAttempt).where(
        ContactAttempt.case_id == case.id, ContactAttempt.stale.is_(False),
        ContactAttempt.assignment_version == case.assignment_version)) or 0) > 0


def keep_aside(pc: PushContext, item: PushItem, reason: str) -> None:
    """Keep an item's content that cannot be applied, for a supervisor (G4: never discard).
    Kept as sent, but storable: a NUL shown as ␀, characters no workbook holds cleaned."""
    pc.session.add(QuarantinedItem(item_uuid=str(item.item_uuid), reason=storable(reason[:500]),
                                   user_id=pc.user.id, device_id=pc.device_id,
                                   body=storable(item.model_dump(mode="json")),
                                   received_at=pc.now))
