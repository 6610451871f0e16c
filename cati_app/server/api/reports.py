"""Analyst routes: fieldwork progress and AAPOR response rates (supervisors and admins too)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from cati_app.server.deps import Analyst, Ctx, Supervisor
from cati_app.server.errors import error_responses
from cati_app.server.schemas import (
    ProgressReport,
    RateBreakdown,
    RateGrouping,
    ResponseRates,
    RoomStatus,
    Trends,
)
from cati_app.server.services.reporting import rate_breakdown, reporting, room, trends

ERRORS = error_responses(401, 403, 404, 422)
router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=ERRORS)


@router.get("/progress", response_model=ProgressReport)
def progress(ctx: Ctx, _user: Analyst) -> ProgressReport:
    """Per service and per enumerator: cases by state, completes today (the Asia/Thimphu
    day of the server's clock) and attempts, in all and today."""
    with ctx.read() as session:  # a read: never holds up pushes
        return reporting.progress(session, ctx.clock.now())


@router.get("/response-rates/by", response_model=RateBreakdown)
def response_rates_by(
    ctx: Ctx, _user: Analyst, by: RateGrouping,
    service: Annotated[str | None, Query(max_length=32, description="service code")] = None,
    date_from: Annotated[date | None, Query(
        alias="from", description="first date availed included (YYYY-MM-DD)")] = None,
    date_to: Annotated[date | None, Query(
        alias="to", description="last date availed included (YYYY-MM-DD)")] = None,
) -> RateBreakdown:
    """The same AAPOR counts and rates as ``/response-rates``, one row per service, office,
    enumerator (who last held the case) or month availed, with the overall row."""
    with ctx.read() as session:
        return rate_breakdown.rate_breakdown(session, by, service=service, date_from=date_from,
                                             date_to=date_to)


@router.get("/trends", response_model=Trends)
def fieldwork_trends(ctx: Ctx, _user: Analyst,
                     days: Annotated[int, Query(ge=1, le=366)] = 28,
                     weeks: Annotated[int, Query(ge=1, le=104)] = 12) -> Trends:
    """Completes and attempts per Thimphu day (by when they reached the server) for the last
    ``days`` days, and each service's mean composite score per week for the last ``weeks``."""
    with ctx.read() as session:
        return trends.trends(session, ctx.clock.now(), days=days, weeks=weeks)


@router.get("/room", response_model=RoomStatus)
def room_status(ctx: Ctx, _user: Supervisor) -> RoomStatus:
    """Who is working (each enumerator's last contact with the server) and what waits for a
    supervisor: open conflicts, interviews waiting for review, released cases still in the
    pool, open quarantined items."""
    with ctx.read() as session:
        return room.room_status(session, ctx.clock.now())


@router.get("/response-rates", response_model=ResponseRates)
def response_rates(
    ctx: Ctx, _user: Analyst,
    service: Annotated[str | None, Query(max_length=32, description="service code")] = None,
    date_from: Annotated[date | None, Query(
        alias="from", description="first date availed included (YYYY-MM-DD)")] = None,
    date_to: Annotated[date | None, Query(
        alias="to", description="last date availed included (YYYY-MM-DD)")] = None,
) -> ResponseRates:
    """AAPOR counts and rates (RR1…CON3) over cases, filtered by service and by the date the
    respondent availed the service (cases without that date are left out when a date is
    given). Closed cases count by their final disposition, open ones by their provisional
    one, never-attempted ones as UH (3.11). ``e`` is the proportional estimate; a null rate
    cannot be computed (zero denominator)."""
    with ctx.read() as session:  # a read: never holds up pushes
        return reporting.response_rates(session, service=service, date_from=date_from,
                                        date_to=date_to)
