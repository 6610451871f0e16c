"""Scorecards (issue 16): the estimates per agency, service, office and period as JSON, and
the agency workbook. Read-only; no names or phone numbers in either. Agency accounts get
their own agency's only (``scorecard_scope``); analysts, supervisors and admins any agency."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from cati_app.core.clock import to_thimphu
from cati_app.core.protocol_scorecard import PeriodKind, Scorecard
from cati_app.reports.agency_workbook import write_agency_workbook
from cati_app.server.deps import Ctx, ScorecardReader
from cati_app.server.errors import Unprocessable, error_responses
from cati_app.server.services.complaints import summaries
from cati_app.server.services.reporting import agency_export, scorecard_scope
from cati_app.server.services.reporting import scorecard as scorecards

ERRORS = error_responses(401, 403, 404, 422)
router = APIRouter(prefix="/v1", tags=["scorecard"], responses=ERRORS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Agency = Annotated[str | None, Query(max_length=200, description=(
    "the agency, as the services name it; an agency account may leave it out"))]


@router.get("/scorecard", response_model=Scorecard)
def scorecard(ctx: Ctx, user: ScorecardReader, period_kind: PeriodKind = "quarter",
              agency: Agency = None,
              service: Annotated[str | None, Query(max_length=32,
                                                   description="service code")] = None,
              periods: Annotated[int, Query(ge=1, le=24)] = 4) -> Scorecard:
    """Per service and office, for the last ``periods`` months, quarters or fiscal years
    (July–June): n, the composite (1–5 and 0–100), each parameter and indicator and the share
    satisfied, each with its 95% interval and status (indicative, suppressed), and flags that
    survive false-discovery-rate control; each office's complaints reported in the period
    (count, share resolved, median days to resolve). ``methodology`` says how each figure
    is made."""
    with ctx.read() as session:
        scope = scorecard_scope.allowed_agency(session, user, agency)
        # through the module: a test app wraps it (tests/support/flagging_app.py)
        return scorecards.build_scorecard(session, ctx.settings, now=ctx.clock.now(),
                                          period_kind=period_kind, agency=scope,
                                          service_code=service or None, periods=periods,
                                          complaints=summaries.reader(session, scope))


@router.get("/exports/agency.xlsx", response_class=FileResponse,
            responses={200: {"content": {XLSX: {}}}})
def agency_workbook(ctx: Ctx, user: ScorecardReader, agency: Agency = None) -> FileResponse:
    """The agency's workbook: its cells with intervals by quarter, fiscal year and month,
    trends, indicators, each office's complaint figures, the methodology, and its complaint
    tickets (masked texts). No names or phone numbers."""
    handle, name = tempfile.mkstemp(prefix="cati-agency-", suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        with ctx.read() as session:
            scope = scorecard_scope.allowed_agency(session, user, agency)
            if scope is None:
                raise Unprocessable("name the agency whose workbook you want (?agency=...)")
            data = agency_export.agency_data(session, ctx.settings, agency=scope,
                                             now=ctx.clock.now())
        write_agency_workbook(path, data.agency, data.scorecards, data.complaints)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    stamp = to_thimphu(ctx.clock.now()).strftime("%Y%m%d-%H%M")
    return FileResponse(path, media_type=XLSX, filename=f"serve-scorecard-{stamp}.xlsx",
                        background=BackgroundTask(path.unlink, missing_ok=True))
