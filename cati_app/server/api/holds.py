"""GET /v1/cases/idle-holds (supervisors): held cases nobody is working on, or that sit on a
device the enumerator has moved away from (issue 10)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cati_app.core.protocol import HoldsToReview, HoldToReview
from cati_app.server.deps import Ctx, Supervisor
from cati_app.server.errors import error_responses
from cati_app.server.services.sync import handover

router = APIRouter(prefix="/v1", tags=["supervision"], responses=error_responses(401, 403, 422))


@router.get("/cases/idle-holds", response_model=HoldsToReview)
def idle_holds(ctx: Ctx, _user: Supervisor,
               limit: Annotated[int, Query(ge=1, le=handover.MAX_IDLE_HOLDS)] = 500
               ) -> HoldsToReview:
    """Held cases to look at, in case order: return them to the pool or reassign them."""
    now = ctx.clock.now()
    with ctx.sessions() as session:
        holds = handover.holds_to_review(ctx, session, now, limit)
    return HoldsToReview(holds=[HoldToReview(**vars(h)) for h in holds], server_time=now)
