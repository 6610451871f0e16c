"""``POST /v1/sync/push``: take a batch of items exactly once (G3) and never drop one (G4).

Each item is applied in its own savepoint inside the request's one transaction, so one bad
item never blocks the others and a batch costs one commit. An everyday batch (fresh work from
the holder, nothing replayed or stale) first tries the set-wise fast path of ``push_batch``,
which gives the same results and rows with a few statements per batch instead of per item.
The ledger row (``pushed_items``) is inserted first: a concurrent push of the same item_uuid
then waits on the unique key and, when the first commits, finds the row and answers
``duplicate`` with the original result.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from cati_app.core.protocol import (
    ItemResult,
    ItemStatus,
    PushItem,
    PushRequest,
    PushResponse,
)
from cati_app.core.safe_text import storable
from cati_app.server.context import AppContext
from cati_app.server.models import PushedItem
from cati_app.server.services.accounts.identity import CurrentUser
from cati_app.server.services.sync.push_apply import apply_item
from cati_app.server.services.sync.push_batch import push_fast
from cati_app.server.services.sync.push_common import (
    Applied,
    ItemRejected,
    PushContext,
    keep_aside,
)
from cati_app.server.services.sync.push_plan import ledger_row, parse_payload

#: the set-wise path for everyday batches (push_batch); off only to compare the two paths
FAST_PATH = True
#: ledger statuses a replay answers with again (see _replay)
_REJECTED = frozenset({ItemStatus.rejected_invalid.value, ItemStatus.rejected_uuid_reuse.value})


def push(ctx: AppContext, session: Session, user: CurrentUser, body: PushRequest
         ) -> PushResponse:
    pc = PushContext(ctx, session, user, body.device_id, ctx.clock.now())
    digests = [content_hash(item) for item in body.items]
    results = push_fast(pc, body.items, digests) if FAST_PATH else None
    if results is None:
        results = [_push_one(pc, item, digest)
                   for item, digest in zip(body.items, digests, strict=True)]
    return PushResponse(results=results, server_time=pc.now)


def content_hash(item: PushItem) -> str:
    canonical = json.dumps(
        {"kind": item.kind.value, "case_id": item.case_id,
         "assignment_version": item.assignment_version, "payload": item.payload},
        sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _push_one(pc: PushContext, item: PushItem, digest: str) -> ItemResult:
    seen = pc.session.get(PushedItem, str(item.item_uuid))
    if seen is not None:
        return _replay(pc, item, seen, digest)
    try:
        with pc.session.begin_nested():
            ledger = _ledger(pc, item, digest)
            pc.session.add(ledger)
            pc.session.flush()
            applied = _apply(pc, item)
            ledger.status, ledger.detail = applied.status.value, applied.detail[:500]
            ledger.conflict_id = applied.conflict_id
        return ItemResult(item_uuid=item.item_uuid, status=applied.status,
                          detail=applied.detail, conflict_id=applied.conflict_id)
    except ItemRejected as rejected:
        return _reject(pc, item, digest, ItemStatus.rejected_invalid, rejected.detail)
    except (OverflowError, DataError):  # SQLite / PostgreSQL: a number no column can hold
        return _reject(pc, item, digest, ItemStatus.rejected_invalid,
                       "a number in this item (case_id, assignment_version or in the payload) "
                       "is out of range: kept in quarantine for a supervisor")
    except IntegrityError:
        seen = pc.session.get(PushedItem, str(item.item_uuid), populate_existing=True)
        if seen is not None:  # the same item, pushed concurrently, committed first
            return _replay(pc, item, seen, digest)
        return _reject(pc, item, digest, ItemStatus.rejected_invalid,
                       "an id inside this item (interview or version uuid) is already used "
                       "by another item: kept in quarantine for a supervisor")


def _apply(pc: PushContext, item: PushItem) -> Applied:
    return apply_item(pc, item, parse_payload(item))


def _replay(pc: PushContext, item: PushItem, seen: PushedItem, digest: str) -> ItemResult:
    if seen.content_hash != digest or seen.user_id != pc.user.id:
        keep_aside(pc, item, "item_uuid reused with different content")
        return ItemResult(item_uuid=item.item_uuid, status=ItemStatus.rejected_uuid_reuse,
                          detail="this item_uuid was already used for different content; "
                                 "the first version stands and this one is kept aside")
    if seen.status in _REJECTED:
        # refused the first time, refused again with the same words: the device keeps it in
        # its rejected table and tells the person, instead of clearing it as delivered
        return ItemResult(item_uuid=item.item_uuid, status=ItemStatus(seen.status),
                          detail=seen.detail, conflict_id=seen.conflict_id)
    return ItemResult(item_uuid=item.item_uuid, status=ItemStatus.duplicate,
                      detail=f"already received: {seen.status} {seen.detail}".strip(),
                      conflict_id=seen.conflict_id)


def _reject(pc: PushContext, item: PushItem, digest: str, status: ItemStatus, detail: str
            ) -> ItemResult:
    # A rule's message may quote what was sent: a NUL in it would make the ledger insert
    # fail on PostgreSQL and with it the whole batch (the client retried it for ever).
    detail = storable(detail)
    try:
        with pc.session.begin_nested():
            ledger = _ledger(pc, item, digest)
            ledger.status, ledger.detail = status.value, detail[:500]
            pc.session.add(ledger)
            keep_aside(pc, item, detail)
    except IntegrityError:  # the same rejected item, pushed concurrently, committed first
        seen = pc.session.get(PushedItem, str(item.item_uuid), populate_existing=True)
        if seen is None:
            raise
        return _replay(pc, item, seen, digest)
    return ItemResult(item_uuid=item.item_uuid, status=status, detail=detail)


def _ledger(pc: PushContext, item: PushItem, digest: str) -> PushedItem:
    return PushedItem(**ledger_row(pc, item, digest).values())

