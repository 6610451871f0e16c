"""Wire models of sample management (issue 15, DESIGN.md §9.1): frames, draws, replicates,
targets and the do-not-call register. The server's ``/v1/frames``, ``/v1/draws`` and
``/v1/do-not-call`` endpoints answer with these; the supervisor desktop reads them.

Fields may be added (optional, with defaults); none is renamed or removed without a new API
version, because desktops in the field read them.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from cati_app.core.protocol.wire import Strict, UtcDatetime
from cati_app.core.protocol_supervision import ImportProblem

Allocation = Literal["proportional", "equal", "precision"]
#: why a frame row was not eligible for a draw (one reason per row, the first that applies)
ExclusionReason = Literal["do_not_call", "recently_contacted", "duplicate_visit",
                          "no_valid_phone", "outside_period"]


class FrameImportResult(BaseModel):
    """``POST /v1/frames/import`` (multipart: file, name, agency, period_start, period_end)."""

    frame_id: int | None
    name: str
    agency: str
    rows_read: int
    accepted: int
    rejected: int
    problems: list[ImportProblem]
    ignored_columns: list[str]


class FrameOut(BaseModel):
    id: int
    name: str
    agency: str
    period_start: date | None
    period_end: date | None
    imported_at: UtcDatetime
    imported_by: str
    rows: int
    services: list[str] = Field(description="service codes present in the frame")


class DrawRequest(Strict):
    """``POST /v1/frames/{frame_id}/draws``. ``seed`` None: the server picks one and records
    it; the same frame, request and seed give the same sample."""

    sample_size: int = Field(ge=1, le=1_000_000)
    allocation: Allocation = "proportional"
    by_period: bool = Field(default=False, description="strata service × office × month")
    #: precision allocation: the wanted half-width of the 95% interval on the 1–5 composite
    margin: float | None = Field(default=None, gt=0, le=2)
    replicates: int = Field(default=4, ge=1, le=100)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    #: completes wanted per stratum; None: no target (release until replicates run out)
    target_per_stratum: int | None = Field(default=None, ge=1)
    #: release the next replicate by itself once every released case of the draw is closed
    #: (see docs/api.md, "Replicates"); the first replicate is always a person's release
    auto_release: bool = True


class StratumReport(BaseModel):
    key: str = Field(description="service|office[|YYYY-MM]")
    service_code: str
    office: str
    period: str | None
    frame_rows: int
    eligible: int
    excluded: dict[str, int] = Field(description="ExclusionReason -> rows")
    allocated: int
    inclusion_probability: float
    released: int
    completes: int
    target: int | None
    target_reached: bool
    #: precision allocation: the composite's SD used for this stratum, and the previous
    #: period's scored interviews it came from (0: the documented default SD)
    sd: float | None = None
    sd_interviews: int = 0


class DrawReport(BaseModel):
    """The sample report of one draw: in the API, the CLI and the workbook's Sample sheet."""

    draw_id: int
    frame_id: int
    seed: int
    allocation: Allocation
    sample_size: int
    replicates: int
    replicates_released: int
    created_at: UtcDatetime
    created_by: str
    frame_rows: int
    excluded: dict[str, int]
    sampled: int
    released: int
    completes: int
    strata: list[StratumReport]
    note: str = Field(default="", description="how the allocation was made, in words")
    frame_name: str = ""
    by_period: bool = False
    margin: float | None = None
    auto_release: bool = True


class ReleaseRequest(Strict):
    """``POST /v1/draws/{draw_id}/release``: the next replicate (or ``replicate``)."""

    replicate: int | None = Field(default=None, ge=1)


class ReleaseResult(BaseModel):
    draw_id: int
    replicate: int
    cases_released: int
    #: strata whose target was already reached: their cases of this replicate were not released
    strata_skipped: list[str]
    #: sampled numbers put on the do-not-call register since the draw: not released
    withdrawn_do_not_call: int = 0
    automatic: bool = False


DncSource = Literal["respondent", "sms_stop", "request", "supervisor"]


class DoNotCallAdd(Strict):
    phone: str = Field(min_length=3, max_length=32)
    source: DncSource = "request"
    reason: str = Field(default="", max_length=500)


class DoNotCallRemove(Strict):
    """Removal needs an admin and a reason; it is audited."""

    reason: str = Field(min_length=3, max_length=500)


class DoNotCallEntry(BaseModel):
    id: int
    phone_masked: str = Field(description="e.g. +975 17•••••42; the full number is never sent")
    source: DncSource
    reason: str
    added_at: UtcDatetime
    added_by: str
    cases_withdrawn: int = 0
    #: the reply to an add of a number already on the register: nothing changed
    already_listed: bool = False
    removed_at: UtcDatetime | None = None
    removed_by: str = ""
    removal_reason: str = ""


class DoNotCallPage(BaseModel):
    total: int
    limit: int
    offset: int
    entries: list[DoNotCallEntry]
