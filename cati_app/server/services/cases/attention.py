"""What waits for a supervisor besides conflicts and review: items the server kept aside
(quarantine, G4) and cases enumerators gave back (released), each to act on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from cati_app.core.protocol_supervision import (
    QuarantineList,
    QuarantineRow,
    QuarantineStatus,
    ReleasedCase,
    ReleasedList,
    Settlement,
)
from cati_app.server.audit import audit
from cati_app.server.errors import Conflict, NotFound
from cati_app.server.models import Case, CaseState, QuarantinedItem, Service, User
from cati_app.server.models.guards import CaseExclusion
from cati_app.server.services.cases import exclusions
from cati_app.server.services.cases.supervision import Actor


def list_quarantine(session: Session, status: QuarantineStatus, *, limit: int,
                    offset: int) -> QuarantineList:
    query = select(QuarantinedItem)
    if status == "open":
        query = query.where(QuarantinedItem.settled_at.is_(None))
    elif status == "settled":
        query = query.where(QuarantinedItem.settled_at.is_not(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = list(session.scalars(query.order_by(QuarantinedItem.id.desc())
                                 .limit(limit).offset(offset)))
    names = _usernames(session, {i.user_id for i in items} | {i.settled_by for i in items
                                                             if i.settled_by is not None})
    return QuarantineList(total=total, items=[_row(i, names) for i in items])


def settle(session: Session, actor: Actor, item_id: int, settlement: Settlement,
           note: str) -> QuarantineRow:
    item = session.get(QuarantinedItem, item_id, with_for_update=True)
    if item is None:
        raise NotFound(f"there is no quarantined item {item_id}")
    if item.settled_at is not None:
        raise Conflict(f"quarantined item {item_id} was already {item.settlement}")
    item.settled_at, item.settled_by = actor.at, actor.user_id
    item.settlement, item.settlement_note = settlement, note
    audit(session, at=actor.at, user_id=actor.user_id, device_id=actor.device_id,
          action=f"quarantine.{settlement}", entity="quarantine", entity_id=item.id,
          details={"item_uuid": item.item_uuid, "note": note})
    return _row(item, _usernames(session, {item.user_id, actor.user_id}))


def released_cases(session: Session, *, limit: int) -> ReleasedList:
    """Cases released by an enumerator and still in the pool (nobody holds them yet)."""
    releaser = aliased(User)
    rows = session.execute(
        select(Case, Service.code, releaser.username, CaseExclusion)
        .join(CaseExclusion, CaseExclusion.case_id == Case.id)
        .join(releaser, releaser.id == CaseExclusion.user_id)
        .join(Service, Service.id == Case.service_id)
        .where(CaseExclusion.reason == exclusions.RELEASED, Case.holder_id.is_(None),
               Case.state == CaseState.QUEUED)
        .order_by(CaseExclusion.created_at.desc(), Case.id)
        .limit(limit)
    ).all()
    return ReleasedList(cases=[
        ReleasedCase(case_id=case.id, service_code=code, respondent_name=case.respondent_name,
                     released_by=who, released_at=excluded.created_at, reason=excluded.detail,
                     priority=case.priority)
        for case, code, who, excluded in rows])


def _usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def _row(item: QuarantinedItem, names: dict[int, str]) -> QuarantineRow:
    body: dict[str, Any] = item.body if isinstance(item.body, dict) else {}
    case_id = body.get("case_id")
    return QuarantineRow(
        id=item.id, item_uuid=item.item_uuid, kind=str(body.get("kind", "")),
        case_id=case_id if isinstance(case_id, int) else None,
        enumerator=names.get(item.user_id, ""), device_id=item.device_id, reason=item.reason,
        received_at=item.received_at, settlement=item.settlement,  # type: ignore[arg-type]
        settled_by=names.get(item.settled_by) if item.settled_by is not None else None,
        settled_at=item.settled_at, settlement_note=item.settlement_note)
