"""GET /v1/scorecard: an agency's scorecard as data (issue 16). Agency accounts get their own
agency's only; analysts, supervisors and admins any agency, or all."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cati_app.core.protocol_scorecard import PeriodKind, Scorecard
from cati_app.server.deps import Ctx, ScorecardReader
from cati_app.server.errors import error_responses
from cati_app.server.services.reporting import scorecard, scorecard_scope

router = APIRouter(prefix="/v1", tags=["scorecard"], responses=error_responses(401, 403, 422))


@router.get("/scorecard", response_model=Scorecard)
def get_scorecard(
    ctx: Ctx, user: ScorecardReader,
    period_kind: PeriodKind = "quarter",
    agency: Annotated[str | None, Query(max_length=200, description=(
        "the agency (services' agency); an agency account may leave it out"))] = None,
    service: Annotated[str | None, Query(max_length=32, description="service code")] = None,
    periods: Annotated[int, Query(ge=1, le=24)] = 4,
) -> Scorecard:
    """Cells per service and office and period with n, 95% intervals, statuses and flags. No
    names or phone numbers."""
    with ctx.read() as session:
        scope = scorecard_scope.allowed_agency(session, user, agency)
        return scorecard.build_scorecard(session, ctx.settings, now=ctx.clock.now(),
                                         period_kind=period_kind, agency=scope,
                                         service_code=service or None, periods=periods)
