"""The sample report of a draw and the lists of frames and draws (issue 15): read-only, for the
API, the CLI and the workbook's Sample sheet. The fixed part comes from the draw's stored
report; released cases and completes are counted now."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cati_app.core.protocol_sampling import DrawReport, FrameOut, StratumReport
from cati_app.reports.records import ExportFilters
from cati_app.server.errors import NotFound
from cati_app.server.models import (
    DrawRelease,
    DrawUnit,
    FrameRow,
    SampleDraw,
    SampleFrame,
    Service,
    User,
)
from cati_app.server.services.sampling.replicates import completes_by_stratum


def list_frames(session: Session) -> list[FrameOut]:
    """Every frame, newest first, with its rows and the services present."""
    services: dict[int, list[str]] = {}
    for frame_id, code in session.execute(
            select(FrameRow.frame_id, Service.code).join(Service, Service.id ==
                                                         FrameRow.service_id)
            .distinct().order_by(Service.code)):
        services.setdefault(frame_id, []).append(code)
    rows = session.execute(select(SampleFrame, User.username)
                           .outerjoin(User, User.id == SampleFrame.imported_by)
                           .order_by(SampleFrame.imported_at.desc(), SampleFrame.id.desc()))
    return [FrameOut(id=f.id, name=f.name, agency=f.agency, period_start=f.period_start,
                     period_end=f.period_end, imported_at=f.imported_at,
                     imported_by=username or "", rows=f.rows, services=services.get(f.id, []))
            for f, username in rows]


def draw_report(session: Session, draw_id: int) -> DrawReport:
    draw = session.get(SampleDraw, draw_id)
    if draw is None:
        raise NotFound(f"no draw {draw_id}: GET /v1/draws lists them")
    return _report(session, draw)


def list_draws(session: Session, frame_id: int | None = None) -> list[DrawReport]:
    """The reports of every draw (of one frame), newest first."""
    query = select(SampleDraw).order_by(SampleDraw.created_at.desc(), SampleDraw.id.desc())
    if frame_id is not None:
        query = query.where(SampleDraw.frame_id == frame_id)
    return [_report(session, draw) for draw in session.scalars(query)]


def _report(session: Session, draw: SampleDraw) -> DrawReport:
    frame = session.get_one(SampleFrame, draw.frame_id)
    released = Counter({stratum: n for stratum, n in session.execute(
        select(DrawUnit.stratum, func.count()).where(DrawUnit.draw_id == draw.id,
                                                     DrawUnit.status == "released")
        .group_by(DrawUnit.stratum))})
    completes = completes_by_stratum(session, draw.id)
    replicates = session.scalar(select(func.count()).select_from(DrawRelease)
                                .where(DrawRelease.draw_id == draw.id)) or 0
    creator = (session.scalar(select(User.username).where(User.id == draw.created_by))
               if draw.created_by is not None else None)
    strata = [_stratum(line, released[line["key"]], completes.get(line["key"], 0))
              for line in draw.report.get("strata", [])]
    return DrawReport(
        draw_id=draw.id, frame_id=draw.frame_id, seed=draw.seed,
        allocation=draw.allocation,  # type: ignore[arg-type]  # stored from the Literal
        sample_size=draw.sample_size, replicates=draw.replicates,
        replicates_released=replicates, created_at=draw.created_at,
        created_by=creator or "", frame_rows=draw.report.get("frame_rows", 0),
        excluded=draw.report.get("excluded", {}), sampled=sum(s.allocated for s in strata),
        released=sum(released.values()), completes=sum(completes.values()), strata=strata,
        note=draw.report.get("note", ""), frame_name=frame.name, by_period=draw.by_period,
        margin=draw.margin, auto_release=draw.auto_release)


def _stratum(line: dict, released: int, completes: int) -> StratumReport:  # type: ignore[type-arg]
    target = line.get("target")
    return StratumReport(
        key=line["key"], service_code=line["service_code"], office=line["office"],
        period=line.get("period"), frame_rows=line["frame_rows"], eligible=line["eligible"],
        excluded=line.get("excluded", {}), allocated=line["allocated"],
        inclusion_probability=line["inclusion_probability"], released=released,
        completes=completes, target=target,
        target_reached=target is not None and completes >= target,
        sd=line.get("sd"), sd_interviews=line.get("sd_interviews", 0))


def draws_for_export(session: Session, filters: ExportFilters) -> list[DrawReport]:
    """The draws of the workbook's Sample sheet, oldest first: those with a stratum of a
    selected service (their other strata left out) whose frame's period, when it has one,
    meets the selected dates."""
    query = (select(SampleDraw.id).join(SampleFrame, SampleFrame.id == SampleDraw.frame_id)
             .order_by(SampleDraw.id))
    if filters.date_from is not None:
        query = query.where(or_(SampleFrame.period_end.is_(None),
                                SampleFrame.period_end >= filters.date_from))
    if filters.date_to is not None:
        query = query.where(or_(SampleFrame.period_start.is_(None),
                                SampleFrame.period_start <= filters.date_to))
    found = []
    for draw_id in session.scalars(query):
        report = draw_report(session, draw_id)
        if filters.services:
            report.strata = [s for s in report.strata if s.service_code in filters.services]
        if report.strata:
            found.append(report)
    return found
