"""POST /v1/sync/push, GET /v1/sync/pull and POST /v1/sync/snapshot (enumerators only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cati_app.core.protocol import (
    PullResponse,
    PushRequest,
    PushResponse,
    SnapshotRequest,
    SnapshotResponse,
)
from cati_app.server.deps import Ctx, Enumerator, same_device
from cati_app.server.errors import CursorAhead, Unprocessable, error_responses
from cati_app.server.feed import feed_end, read_feed
from cati_app.server.services.sync import handover
from cati_app.server.services.sync import push as push_service

router = APIRouter(prefix="/v1/sync", tags=["sync"], responses=error_responses(401, 403, 422))


@router.post("/push", response_model=PushResponse)
def push(body: PushRequest, ctx: Ctx, user: Enumerator) -> PushResponse:
    same_device(user, body.device_id)
    with ctx.transaction() as session:
        return push_service.push(ctx, session, user, body)


@router.get("/pull", response_model=PullResponse, responses=error_responses(409))
def pull(ctx: Ctx, user: Enumerator,
         cursor: Annotated[str, Query(max_length=20)] = "",
         limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> PullResponse:
    # isdigit() alone lets "²" and Arabic-Indic digits through to int(), which fails (500)
    if cursor and not (cursor.isascii() and cursor.isdigit()):
        raise Unprocessable("cursor: use the next_cursor of the previous pull, or leave it "
                            "empty to start from the beginning")
    after = int(cursor or 0)
    with ctx.sessions() as session:
        changes, has_more = read_feed(session, user.id, user.device_id, after, limit)
        if not changes and after > feed_end(session, user.id):
            # the realistic cause is a server restored from a backup: the device knows of
            # changes the server no longer has, so an empty page would silently hide that
            raise CursorAhead(f"cursor {after} is beyond the end of your change feed (the "
                              "server may have been restored from a backup): take a fresh "
                              "snapshot (POST /v1/sync/snapshot) and pull from its cursor")
    next_cursor = str(changes[-1].seq) if changes else str(after)
    return PullResponse(changes=changes, next_cursor=next_cursor, has_more=has_more,
                        server_time=ctx.clock.now())


@router.post("/snapshot", response_model=SnapshotResponse)
def snapshot(body: SnapshotRequest, ctx: Ctx, user: Enumerator) -> SnapshotResponse:
    """Where a new or reset local store starts: the cases held now and the feed cursor."""
    same_device(user, body.device_id)
    with ctx.transaction() as session:
        return handover.take_snapshot(ctx, session, user)
