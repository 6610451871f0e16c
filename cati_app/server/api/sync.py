"""POST /v1/sync/push and GET /v1/sync/pull (enumerators only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cati_app.core.protocol import Change, ChangeType, PullResponse, PushRequest, PushResponse
from cati_app.server.deps import Ctx, Enumerator, same_device
from cati_app.server.errors import Unprocessable, error_responses
from cati_app.server.feed import changes_after
from cati_app.server.services import push as push_service

router = APIRouter(prefix="/v1/sync", tags=["sync"], responses=error_responses(401, 403, 422))


@router.post("/push", response_model=PushResponse)
def push(body: PushRequest, ctx: Ctx, user: Enumerator) -> PushResponse:
    same_device(user, body.device_id)
    with ctx.transaction() as session:
        return push_service.push(ctx, session, user, body)


@router.get("/pull", response_model=PullResponse)
def pull(ctx: Ctx, user: Enumerator,
         cursor: Annotated[str, Query(max_length=20)] = "",
         limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> PullResponse:
    if cursor and not cursor.isdigit():
        raise Unprocessable("cursor: use the next_cursor of the previous pull, or leave it "
                            "empty to start from the beginning")
    after = int(cursor or 0)
    with ctx.sessions() as session:
        rows, has_more = changes_after(session, user.id, after, limit)
    changes = [Change(seq=r.seq, type=ChangeType(r.type), case_id=r.case_id,
                      assignment_version=r.assignment_version, body=r.body) for r in rows]
    next_cursor = str(rows[-1].seq) if rows else str(after)
    return PullResponse(changes=changes, next_cursor=next_cursor, has_more=has_more,
                        server_time=ctx.clock.now())
