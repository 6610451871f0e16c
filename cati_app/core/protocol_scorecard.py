"""Wire models of agency scorecards and complaint tickets (issue 16, DESIGN.md §9.2 and §9.4).

The server's reporting service produces ``Scorecard`` (``GET /v1/scorecard``) and the web
scorecard (``/scorecard/...``) renders the same objects; complaint tickets travel as
``Ticket``. No model here carries a respondent's name or phone number.

Fields may be added (optional, with defaults); none is renamed or removed without a new API
version.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from cati_app.core.protocol.wire import Strict, UtcDatetime

PeriodKind = Literal["month", "quarter", "fiscal_year"]
#: published: n ≥ the minimum; indicative: 10 ≤ n < minimum; suppressed: n < 10 (no value)
FigureStatus = Literal["published", "indicative", "suppressed"]
#: weighted: design weights × nonresponse adjustment; unweighted: simple random sampling
Method = Literal["weighted", "unweighted"]
FlagKind = Literal["above_peers", "below_peers", "up_on_previous", "down_on_previous"]


class Estimate(BaseModel):
    """One figure with its 95% interval. Suppressed figures carry n only."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    status: FigureStatus


class Flag(BaseModel):
    kind: FlagKind
    #: the difference (cell minus comparison) on the composite's 1–5 scale
    difference: float
    #: Benjamini–Hochberg adjusted p-value across the comparisons shown
    q_value: float
    compared_with: str = Field(description="e.g. 'same service, other offices' or '2026-Q2'")


class ComplaintSummary(BaseModel):
    count: int
    resolved: int
    share_resolved: float | None
    median_days_to_resolve: float | None


class Cell(BaseModel):
    """One reporting cell: agency → service → office (dzongkhag) → period."""

    agency: str
    service_code: str
    service_name: str
    office: str = Field(description="'' for the service as a whole")
    dzongkhag: str = ""
    period: str = Field(description="e.g. '2026-11', '2026-Q4', 'FY2026-27'")
    period_kind: PeriodKind
    method: Method
    n: int
    composite: Estimate = Field(description="1–5 scale")
    composite_100: Estimate = Field(description="0–100 scale: (composite − 1) × 25")
    parameters: dict[str, Estimate] = Field(description="parameter code -> 1–5 estimate")
    indicators: dict[str, Estimate] = Field(default_factory=dict)
    satisfied: Estimate = Field(description="share satisfied, 0–1")
    flags: list[Flag] = Field(default_factory=list)
    complaints: ComplaintSummary | None = None


class Methodology(BaseModel):
    composite_definition: str
    parameter_weights: dict[str, float]
    minimum_n: int
    suppress_below: int
    weighting: str
    comparisons: str
    complaints: str = Field(default="", description=(
        "how the complaint figures are counted ('' when the scorecard has none)"))


class Scorecard(BaseModel):
    generated_at: UtcDatetime
    agency: str | None
    period_kind: PeriodKind
    periods: list[str]
    cells: list[Cell]
    methodology: Methodology


TicketState = Literal["open", "acknowledged", "resolved"]


class Ticket(BaseModel):
    id: int
    service_code: str
    agency: str
    office: str
    dzongkhag: str
    reported_on: date
    channel: str = Field(description="cati, web, sms or open")
    category: str
    text: str = Field(description="the complaint with phone-like numbers masked")
    state: TicketState
    note: str = Field(default="", description="the agency's note on its last change")
    consent_to_follow_up: bool = False
    follow_up: str | None = Field(default=None, description="the call-back's answer, if any")
    created_at: UtcDatetime
    updated_at: UtcDatetime
    resolved_at: UtcDatetime | None = None


class TicketPage(BaseModel):
    total: int
    limit: int
    offset: int
    tickets: list[Ticket]


class TicketChange(Strict):
    """``POST /v1/tickets/{id}/state``: open → acknowledged → resolved (a note on each); a
    resolved ticket may be reopened (→ open). The same state with a ``category`` only
    recategorises the ticket."""

    state: TicketState
    note: str = Field(default="", max_length=2000)
    category: str | None = Field(
        default=None, max_length=32,
        description="delay, staff_attitude, integrity, access, information or other")
