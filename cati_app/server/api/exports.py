"""Analyst exports: the summary workbook and the raw data as CSV, built into a temporary file
and sent with its length so the client can show a progress bar."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from cati_app.core.clock import to_thimphu
from cati_app.core.protocol import Role
from cati_app.reports.csv_export import write_raw_csv
from cati_app.reports.records import MAX_SERVICES, ExportData, ExportFilters, FilterError
from cati_app.reports.workbook import write_workbook
from cati_app.server.context import AppContext
from cati_app.server.deps import Analyst, Ctx
from cati_app.server.errors import Forbidden, Unprocessable, error_responses
from cati_app.server.services.accounts.identity import CurrentUser
from cati_app.server.services.reporting import exports

ERRORS = error_responses(401, 403, 404, 422)
router = APIRouter(prefix="/v1", tags=["exports"], responses=ERRORS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Services = Annotated[list[str] | None, Query(
    max_length=MAX_SERVICES,
    description="service code; repeat it for several services (service=CID&service=MIMO); "
                "leave it out for every service")]
DateFrom = Annotated[date | None, Query(
    alias="from", description="first date availed included (YYYY-MM-DD)")]
DateTo = Annotated[date | None, Query(
    alias="to", description="last date availed included (YYYY-MM-DD)")]
IncludePii = Annotated[bool, Query(
    description="respondent names and phone numbers in the Raw data (admins only)")]


def _filters(user: CurrentUser, services: list[str] | None, date_from: date | None,
             date_to: date | None, include_pii: bool) -> ExportFilters:
    """The one place an export's filters are built and checked; passed down unchanged."""
    if include_pii and user.role != Role.admin:
        raise Forbidden("only an admin may export names and phone numbers: "
                        "leave include_pii off")
    try:
        return ExportFilters(services=tuple(services or ()), date_from=date_from,
                             date_to=date_to, include_pii=include_pii)
    except FilterError as exc:
        raise Unprocessable(str(exc)) from None


def _build(ctx: AppContext, filters: ExportFilters, suffix: str,
           write: Callable[[Path, ExportData], object]) -> FileResponse:
    handle, name = tempfile.mkstemp(prefix="cati-export-", suffix=suffix)
    os.close(handle)
    path = Path(name)
    try:
        # a read: no write lock on SQLite; the streams are closed even when writing fails
        with ctx.read() as session, exports.gathered(session, filters,
                                                     ctx.clock.now()) as data:
            write(path, data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    stamp = to_thimphu(ctx.clock.now()).strftime("%Y%m%d-%H%M")
    download = f"serve-{filters.label}-{stamp}{suffix}"
    # FileResponse sends Content-Length and Content-Disposition; the file goes once it is sent
    return FileResponse(path, media_type=XLSX if suffix == ".xlsx" else "text/csv",
                        filename=download, background=BackgroundTask(path.unlink,
                                                                     missing_ok=True))


@router.get("/exports/summary.xlsx", response_class=FileResponse,
            responses={200: {"content": {XLSX: {}}}})
def summary_workbook(ctx: Ctx, user: Analyst, service: Services = None,
                     date_from: DateFrom = None, date_to: DateTo = None,
                     include_pii: IncludePii = False) -> FileResponse:
    """The analyst workbook: Summary, Indicators, Response rates, Enumerators, Feedback,
    Complaints, Raw data and Call history, for cases filtered by service (one, several or all)
    and by the date the respondent availed the service. No names or phone numbers unless an
    admin asks. A figure that cannot be computed (a rate whose denominator is zero, a mean
    without answers) is an empty cell; each sheet's note says so."""
    filters = _filters(user, service, date_from, date_to, include_pii)
    return _build(ctx, filters, ".xlsx", write_workbook)


@router.get("/exports/raw.csv", response_class=FileResponse,
            responses={200: {"content": {"text/csv": {}}}})
def raw_csv(ctx: Ctx, user: Analyst, service: Services = None, date_from: DateFrom = None,
            date_to: DateTo = None, include_pii: IncludePii = False) -> FileResponse:
    """The Raw data sheet as CSV (UTF-8): one row per primary complete or partial interview."""
    filters = _filters(user, service, date_from, date_to, include_pii)
    return _build(ctx, filters, ".csv", lambda path, data: write_raw_csv(
        path, data.questionnaires, data.interviews, include_pii=filters.include_pii))
