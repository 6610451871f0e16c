"""POST /v1/queue/claim and /v1/queue/ack (enumerators only)."""

from __future__ import annotations

from fastapi import APIRouter

from cati_app.core.protocol import AckRequest, AckResponse, ClaimRequest, ClaimResponse
from cati_app.server.deps import Ctx, Enumerator, same_device
from cati_app.server.errors import error_responses
from cati_app.server.services.sync import claims

router = APIRouter(prefix="/v1/queue", tags=["queue"],
                   responses=error_responses(401, 403, 409, 422, 429))


@router.post("/claim", response_model=ClaimResponse)
def claim(body: ClaimRequest, ctx: Ctx, user: Enumerator) -> ClaimResponse:
    same_device(user, body.device_id)
    with ctx.transaction() as session:
        return claims.claim(ctx, session, user, body)


@router.post("/ack", response_model=AckResponse)
def ack(body: AckRequest, ctx: Ctx, user: Enumerator) -> AckResponse:
    with ctx.transaction() as session:
        return claims.ack(ctx, session, user, body.grant_id, body.case_ids)
