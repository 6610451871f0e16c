"""Sample management (issue 15, DESIGN.md §9.1): frames, their rows, draws, sampled units and
released replicates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cati_app.server.models.base import Base, BigId


class SampleFrame(Base):
    """One agency's register of service users for a period, as imported."""

    __tablename__ = "sample_frames"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(200), default="")
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(200), default="")
    imported_at: Mapped[datetime]
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rows: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)


class FrameRow(Base):
    """One service transaction of the register. ``id_hash`` is an HMAC-SHA256 of the national
    ID under the server's secret salt (``CATI_ID_HASH_SALT``): it tells two rows of the same
    person apart from others, and the ID itself is never stored."""

    __tablename__ = "frame_rows"
    __table_args__ = (Index("ix_frame_rows_frame", "frame_id", "service_id", "office"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    frame_id: Mapped[int] = mapped_column(ForeignKey("sample_frames.id"))
    row_number: Mapped[int]
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    office: Mapped[str] = mapped_column(String(200), default="")
    dzongkhag: Mapped[str] = mapped_column(String(100), default="")
    date_availed: Mapped[date | None]
    respondent_name: Mapped[str] = mapped_column(String(200))
    #: E.164; None when the register had no valid number (kept: it is part of the population,
    #: and its exclusion shows as coverage loss in the sample report)
    phone1: Mapped[str | None] = mapped_column(String(20))
    phone2: Mapped[str | None] = mapped_column(String(20))
    phone3: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: literate (can read an SMS), when the register says
    literate: Mapped[bool | None]
    #: "sms" or "cati" when the person stated a preference
    preferred_channel: Mapped[str | None] = mapped_column(String(8))
    id_hash: Mapped[str | None] = mapped_column(String(64))


class SampleDraw(Base):
    """One stratified random draw from a frame. ``report`` holds what the draw decided and
    never changes (frame rows, eligible and excluded per stratum, allocations, π, targets);
    what changes (released, completes) is counted when the report is read."""

    __tablename__ = "sample_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    frame_id: Mapped[int] = mapped_column(ForeignKey("sample_frames.id"))
    seed: Mapped[int] = mapped_column(BigInteger)
    allocation: Mapped[str] = mapped_column(String(16))
    sample_size: Mapped[int]
    by_period: Mapped[bool] = mapped_column(default=False)
    margin: Mapped[float | None]
    replicates: Mapped[int]
    target_per_stratum: Mapped[int | None]
    auto_release: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    report: Mapped[dict[str, Any]]


class DrawUnit(Base):
    """A sampled frame row: its stratum, π and replicate; ``case_id`` once released.
    ``status``: sampled (not yet released), released, skipped_target (its stratum had reached
    its target when its replicate was released) or do_not_call (put on the register between
    the draw and the release)."""

    __tablename__ = "draw_units"
    __table_args__ = (
        Index("ix_draw_units_draw", "draw_id", "replicate"),
        Index("ix_draw_units_case", "case_id"),
        Index("ix_draw_units_row", "frame_row_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("sample_draws.id"))
    frame_row_id: Mapped[int] = mapped_column(ForeignKey("frame_rows.id"))
    stratum: Mapped[str] = mapped_column(String(200))
    inclusion_probability: Mapped[float]
    replicate: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="sampled")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))


class DrawRelease(Base):
    """One replicate handed to the call queue (at most once: the unique constraint)."""

    __tablename__ = "draw_releases"
    __table_args__ = (UniqueConstraint("draw_id", "replicate"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("sample_draws.id"))
    replicate: Mapped[int]
    released_at: Mapped[datetime]
    released_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    automatic: Mapped[bool] = mapped_column(default=False)
    cases_released: Mapped[int] = mapped_column(default=0)
    strata_skipped: Mapped[list[str]]
