"""The transactional outbox: items are added in the same session as their domain rows, and
leave only when the server has decided about them (G2); rejected ones are kept aside."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati_app.client.store.models import CaseRow, OutboxRow, RejectedRow, SyncLogRow
from cati_app.client.store.views import OutboxItem
from cati_app.core.protocol import ItemKind, ItemResult, ItemStatus


def add_item(session: Session, *, kind: ItemKind, case: CaseRow, payload: dict[str, Any],
             at: datetime) -> str:
    """Queue one item in the caller's transaction. The uuid is made now, when the work is
    saved, so every retry carries the same one (G3); the version is the one held now (G5)."""
    item_uuid = str(uuid.uuid4())
    session.add(OutboxRow(item_uuid=item_uuid, kind=kind.value, case_id=case.case_id,
                          assignment_version=case.assignment_version, payload=payload,
                          created_at=at, attempts=0, last_detail=""))
    return item_uuid


def batch(session: Session, max_items: int, max_bytes: int) -> list[OutboxItem]:
    """Oldest first, within both limits. The first item always goes, even when it alone is
    larger than ``max_bytes``: the server then answers for it instead of it blocking the rest
    of the outbox for ever."""
    rows = session.scalars(select(OutboxRow).order_by(OutboxRow.seq).limit(max(max_items, 0)))
    items: list[OutboxItem] = []
    size = 0
    for row in rows:
        item = _to_item(row)
        size += _wire_size(item)
        if items and size > max_bytes:
            break
        items.append(item)
    return items


def settle(session: Session, results: list[ItemResult], at: datetime) -> None:
    for result in results:
        row = session.scalar(select(OutboxRow).where(OutboxRow.item_uuid == str(result.item_uuid)))
        if row is None:
            continue  # settled before (a replayed reply): nothing left to do
        if not result.status.settled:
            row.attempts += 1
            row.last_detail = result.detail
            continue
        if result.status in (ItemStatus.rejected_invalid, ItemStatus.rejected_uuid_reuse):
            _keep_rejected(session, row, result, at)
        elif result.status is ItemStatus.stored_conflict:
            session.add(SyncLogRow(at=at, level="warning", message=(
                f"case {row.case_id}: the server stored your {_kind_label(row.kind)} and "
                "flagged a conflict for a supervisor")))
        session.delete(row)


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxRow)) or 0


def _keep_rejected(session: Session, row: OutboxRow, result: ItemResult, at: datetime) -> None:
    session.add(RejectedRow(item_uuid=row.item_uuid, kind=row.kind, case_id=row.case_id,
                            assignment_version=row.assignment_version, payload=row.payload,
                            created_at=row.created_at, status=result.status.value,
                            detail=result.detail, rejected_at=at))
    session.add(SyncLogRow(at=at, level="error", message=(
        f"case {row.case_id}: the server refused your {_kind_label(row.kind)} "
        f"({result.status.value}: {result.detail or 'no detail'}); it is kept on this device, "
        "tell your supervisor")))


def _kind_label(kind: str) -> str:
    return kind.replace("_", " ")


def _to_item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(item_uuid=row.item_uuid, kind=row.kind, case_id=row.case_id,
                      assignment_version=row.assignment_version, payload=row.payload,
                      created_at=row.created_at, attempts=row.attempts)


def _wire_size(item: OutboxItem) -> int:
    wire = {"item_uuid": item.item_uuid, "kind": item.kind, "case_id": item.case_id,
            "assignment_version": item.assignment_version, "payload": item.payload}
    return len(json.dumps(wire, separators=(",", ":")).encode()) + 1  # + the list comma
