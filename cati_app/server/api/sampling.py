"""Sample management routes (issue 15): import a frame, draw from it, release replicates, read
the sample reports. Supervisors and admins change; analysts (and they) read. Thin: the work is
in ``services.sampling``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile

from cati_app.core.protocol_sampling import (
    DrawReport,
    DrawRequest,
    FrameImportResult,
    FrameOut,
    ReleaseRequest,
    ReleaseResult,
)
from cati_app.core.protocol_supervision import ImportProblem
from cati_app.server.api.samples import saved_upload
from cati_app.server.deps import Analyst, Ctx, Supervisor
from cati_app.server.errors import error_responses
from cati_app.server.services.cases.sample_readers import read_whole
from cati_app.server.services.sampling import draws, frames, replicates, reports

router = APIRouter(prefix="/v1", responses=error_responses(401, 403, 404, 409, 413, 422))


@router.post("/frames/import", response_model=FrameImportResult, tags=["supervision"])
def import_frame(
    ctx: Ctx, user: Supervisor,
    file: Annotated[UploadFile, File(description="the register extract: CSV or XLSX")],
    name: Annotated[str, Form(max_length=200)] = "",
    agency: Annotated[str, Form(max_length=200)] = "",
    period_start: Annotated[date | None, Form()] = None,
    period_end: Annotated[date | None, Form()] = None,
) -> FrameImportResult:
    """Rows become the frame; rows that cannot be used are listed one problem per line. Rows
    with no valid number are kept (the draw excludes them, visibly) and listed too."""
    with saved_upload(file) as path, read_whole(path) as sheet, ctx.transaction() as session:
        report = frames.import_frame(session, sheet, name=name, agency=agency,
                                     period_start=period_start, period_end=period_end,
                                     at=ctx.clock.now(), by=user.id,
                                     salt=ctx.settings.id_hash_salt)
        return FrameImportResult(
            frame_id=report.frame_id, name=report.name, agency=report.agency,
            rows_read=report.rows_read, accepted=report.accepted, rejected=report.rejected,
            ignored_columns=report.ignored_columns,
            problems=[ImportProblem(row=p.row, column=p.column, value=p.value, reason=p.reason)
                      for p in report.problems])


@router.get("/frames", response_model=list[FrameOut], tags=["reports"])
def list_frames(ctx: Ctx, _user: Analyst) -> list[FrameOut]:
    """Every frame imported, newest first."""
    with ctx.read() as session:
        return reports.list_frames(session)


@router.post("/frames/{frame_id}/draws", response_model=DrawReport, tags=["supervision"])
def draw(ctx: Ctx, user: Supervisor, frame_id: int, body: DrawRequest) -> DrawReport:
    """Draw a stratified random sample; the answer is the new draw's sample report."""
    with ctx.transaction() as session:
        made = draws.make_draw(session, frame_id, body, at=ctx.clock.now(), by=user.id,
                               window=ctx.settings.recontact_window)
        return reports.draw_report(session, made.id)


@router.get("/draws", response_model=list[DrawReport], tags=["reports"])
def list_draws(ctx: Ctx, _user: Analyst,
               frame_id: Annotated[int | None, Query(ge=1)] = None) -> list[DrawReport]:
    """The sample reports of every draw (or of one frame's), newest first."""
    with ctx.read() as session:
        return reports.list_draws(session, frame_id)


@router.get("/draws/{draw_id}", response_model=DrawReport, tags=["reports"])
def draw_report(ctx: Ctx, _user: Analyst, draw_id: int) -> DrawReport:
    """The sample report: frame rows, exclusions by reason, sampled, released and completes,
    per stratum and in all."""
    with ctx.read() as session:
        return reports.draw_report(session, draw_id)


@router.post("/draws/{draw_id}/release", response_model=ReleaseResult, tags=["supervision"])
def release(ctx: Ctx, user: Supervisor, draw_id: int, body: ReleaseRequest) -> ReleaseResult:
    """Release the next replicate (or the one named) to the call queue."""
    with ctx.transaction() as session:
        return replicates.release(session, draw_id, body.replicate, at=ctx.clock.now(),
                                  by=user.id)
