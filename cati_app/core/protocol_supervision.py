"""Wire models of the supervisor, report, sample-import and admin routes (DESIGN.md §4).

Shared by the server (``cati_app.server.schemas`` re-exports them) and the supervisor's and
analyst's client (``cati_app.client.supervisor_api``), which may not import the server.
Kept apart from ``cati_app.core.protocol``, which holds what the enumerator's client and the
server share. Requests refuse unknown fields, so a misspelt field is a 422 naming it, not
silently ignored. Response fields added later carry defaults, so an older server still reads.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from cati_app.core.protocol import Role, Strict, UtcDatetime

MAX_CASES_PER_CHANGE = 1000
CaseStateName = Literal["queued", "held", "needs_supervisor", "closed"]
CaseIds = list[int]

# --- cases ---------------------------------------------------------------------------------


class CaseRow(BaseModel):
    """One case as the supervisor's case table shows it."""

    case_id: int
    service_code: str
    batch_id: int | None
    respondent_name: str
    #: masked except the country code and the last two digits (``+975 •• •• •• 56``): a
    #: supervisor sees a number in full only by asking, with a reason (``POST
    #: /v1/cases/{case_id}/phones``), which is audited
    phones: list[str]
    office: str
    dzongkhag: str
    date_availed: date | None
    priority: int
    state: CaseStateName
    holder: str | None
    assignment_version: int
    #: every call stored on the case, including a former holder's offline calls
    attempts: int
    #: of those, calls a former holder made after the case had moved on (stored as stale)
    stale_attempts: int = 0
    #: what a supervisor should look at: ``stale_attempts``, ``stale_hard_appointment`` /
    #: ``stale_appointment`` (a former holder's appointment kept aside, not applied),
    #: ``mass_claim`` (handed out by a claim that asked for more than the claimer may hold)
    flags: list[str] = []
    #: outcome key and AAPOR code of the final (or, while open, provisional) disposition
    disposition: str | None
    disposition_code: str | None
    next_call_at: UtcDatetime | None
    appointment_at: UtcDatetime | None
    updated_at: UtcDatetime


class CasePage(BaseModel):
    total: int
    limit: int
    offset: int
    cases: list[CaseRow]


#: the most cases one "act on every case matching the filters" may take at once
MAX_MATCHING_CASES = 100_000


class CaseKey(BaseModel):
    """What a bulk change needs to say whose cases it moves: no personal data."""

    case_id: int
    state: CaseStateName
    holder: str | None
    priority: int


class MatchingCases(BaseModel):
    """Every case matching the case table's filters (up to ``MAX_MATCHING_CASES``), in id
    order; ``total`` counts them all, so a client sees when it got fewer."""

    total: int
    cases: list[CaseKey]


class AssignRequest(Strict):
    case_ids: CaseIds = Field(min_length=1, max_length=MAX_CASES_PER_CHANGE)
    #: an enumerator's username, or null to return the cases to the pool
    to_user: str | None = None
    #: needed to take a case away from the enumerator who holds it
    force: bool = False
    #: needed with force; the old holder is shown it
    reason: str = Field(default="", max_length=200)


AssignOutcome = Literal["assigned", "returned", "unchanged", "refused", "not_found"]


class AssignResult(BaseModel):
    case_id: int
    result: AssignOutcome
    detail: str = ""
    assignment_version: int | None = None


class AssignResponse(BaseModel):
    results: list[AssignResult]


class PriorityRequest(Strict):
    case_ids: CaseIds = Field(min_length=1, max_length=MAX_CASES_PER_CHANGE)
    priority: int = Field(ge=0, le=100)


class PriorityResponse(BaseModel):
    changed: int


# --- conflicts and review ------------------------------------------------------------------


class VersionSummary(BaseModel):
    version_uuid: str
    interview_uuid: str
    base_version_uuid: str | None
    enumerator: str
    completion: str
    primary: bool
    stale: bool
    review_status: str
    #: how many questions have an answer
    answered: int
    received_at: UtcDatetime


class VersionDetail(VersionSummary):
    assignment_version: int
    questionnaire_id: str
    questionnaire_version: int
    language: str
    started_at: UtcDatetime
    ended_at: UtcDatetime | None
    answers: dict[str, Any]
    problems: list[str]
    review_comment: str


class ConflictSummary(BaseModel):
    id: int
    case_id: int
    kind: str
    status: Literal["open", "resolved"]
    description: str
    created_at: UtcDatetime
    resolved_at: UtcDatetime | None
    resolution: str
    versions: list[VersionSummary]


class ConflictList(BaseModel):
    total: int
    conflicts: list[ConflictSummary]


class ConflictDetail(ConflictSummary):
    case_state: str
    #: the versions side by side, in the order the conflict lists them (primary first)
    versions: list[VersionDetail]  # type: ignore[assignment]


class ResolveRequest(Strict):
    #: one of the conflict's versions; leave out when the conflict lists none
    primary_version_uuid: str | None = Field(default=None, min_length=1, max_length=36)
    resolution: str = Field(min_length=1, max_length=1000)
    #: for a former holder's late final outcome (kind stale_final_outcome) only: confirm
    #: closes the case with it; dismiss keeps the call in the history without counting it and
    #: gives the case back to its holder. Left out: confirm (nobody calls a refuser again).
    decision: Literal["confirm", "dismiss"] | None = None


class ReviewRequest(Strict):
    comment: str = Field(default="", max_length=2000)


class RejectRequest(Strict):
    comment: str = Field(min_length=1, max_length=2000)


class ReviewResponse(BaseModel):
    interview_uuid: str
    version_uuid: str
    review_status: Literal["pending", "approved", "rejected"]
    case_id: int
    case_state: str
    holder: str | None


class ReviewItem(BaseModel):
    """One interview waiting for (or past) review: its primary version."""

    interview_uuid: str
    #: the primary version, the one an approval or a rejection applies to
    version_uuid: str
    case_id: int
    service_code: str
    enumerator: str
    #: an outcome key: complete, partial or break_off
    completion: str
    ended_at: UtcDatetime | None
    received_at: UtcDatetime
    #: how many problems the server found against the questionnaire
    problems: int
    questionnaire_id: str = ""
    questionnaire_version: int = 0
    language: str = "en"
    answers: dict[str, Any] = Field(default_factory=dict)


class ReviewList(BaseModel):
    #: all interviews matching the filters, for paging
    total: int
    interviews: list[ReviewItem]


# --- reports -------------------------------------------------------------------------------


class ProgressCounts(BaseModel):
    cases_by_state: dict[str, int]
    completes_today: int
    attempts_total: int
    attempts_today: int
    #: attempts started in the hour before the report was made (the current calling pace)
    attempts_last_hour: int = 0
    #: mean composite score (1–5) of the primary complete and partial interviews so far;
    #: null while none has a scored answer
    composite: float | None = None
    #: how many interviews the composite is the mean of
    interviews_scored: int = 0


class ServiceProgress(ProgressCounts):
    service_code: str
    service_name: str
    total_cases: int


class EnumeratorProgress(ProgressCounts):
    username: str
    full_name: str
    active: bool


class ProgressReport(BaseModel):
    #: the Asia/Thimphu calendar day "today" refers to
    day: date
    generated_at: UtcDatetime
    services: list[ServiceProgress]
    enumerators: list[EnumeratorProgress]


class ResponseRates(BaseModel):
    service: str | None
    date_from: date | None
    date_to: date | None
    counts: dict[str, int]
    #: share of unknown-eligibility cases estimated eligible; null when it cannot be estimated
    e: float | None
    e_method: str
    #: RR1 … CON3; null where a rate cannot be computed (a zero denominator)
    rates: dict[str, float | None]
    cases_total: int
    #: open cases counted by their provisional disposition
    cases_open: int
    #: cases never attempted, counted as UH (AAPOR 3.11)
    cases_not_attempted: int
    note: str


# --- sample import -------------------------------------------------------------------------


class ImportProblem(BaseModel):
    """One reason one row was not imported: the row as numbered in the spreadsheet (the header
    is row 1), the column as written in the file, the value and what to do about it."""

    row: int
    column: str
    value: str
    reason: str


class SampleImportResult(BaseModel):
    batch_id: int | None
    batch_name: str = ""
    service_code: str
    imported: int
    #: rows, not problems: one row may have several problems
    rejected: int
    problems: list[ImportProblem]
    ignored_columns: list[str]
    #: rows not imported because every number is on the do-not-call register (in rejected)
    do_not_call_rejected: int = 0
    #: numbers on the register left out of rows imported with another number
    do_not_call_dropped: int = 0


# --- admin ---------------------------------------------------------------------------------


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: Role
    active: bool
    created_at: UtcDatetime
    #: the agency an ``agency`` account sees (None for the other roles)
    agency: str | None = None
    #: issue 18: the languages the person interviews in (codes of core.languages) and their
    #: skills (``refusal_conversion``); claims route cases by them
    languages: list[str] = []
    skills: list[str] = []


class UserCreate(Strict):
    username: str = Field(min_length=1, max_length=64)
    #: the server's password policy says more (12 for admins, no common passwords)
    password: str = Field(min_length=10, max_length=256)
    role: Role
    full_name: str = Field(default="", max_length=200)
    #: required for the ``agency`` role (a ``services.agency`` value), refused for the others
    agency: str | None = Field(default=None, min_length=1, max_length=200)


class PasswordReset(Strict):
    password: str = Field(min_length=10, max_length=256)


class UserStatus(BaseModel):
    user: UserOut
    #: cases a deactivated enumerator held, returned to the pool
    cases_returned: int = 0


class ServiceOut(BaseModel):
    id: int
    code: str
    name: str
    agency: str
    questionnaire_id: str


class ServiceCreate(Strict):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    agency: str = Field(default="", max_length=200)
    questionnaire_id: str = Field(default="set", min_length=1, max_length=64)


class QuestionnaireOut(BaseModel):
    questionnaire_id: str
    version: int
    created_at: UtcDatetime


class DeviceRevoked(BaseModel):
    device_id: str
    revoked: int
    at: datetime


class DeviceOut(BaseModel):
    """One account's registration of one device (a device used by two accounts is two rows)."""

    device_id: str
    username: str
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    approved_at: UtcDatetime | None
    revoked_at: UtcDatetime | None
    #: "waiting" (for an admin's approval), "approved" or "revoked"
    status: Literal["waiting", "approved", "revoked"]


class UserUnlocked(BaseModel):
    user: UserOut
    #: failed logins forgotten (the account's own; failures counted per address stay)
    failed_logins_forgotten: int


class ServiceChange(Strict):
    """Only the fields given change; the code never does (cases and reports refer to it)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    agency: str | None = Field(default=None, max_length=200)
    questionnaire_id: str | None = Field(default=None, min_length=1, max_length=64)


class PhoneRevealRequest(Strict):
    """Why a supervisor needs to see a case's numbers in full; kept in the audit log."""

    reason: str = Field(min_length=5, max_length=500)


class RevealedPhones(BaseModel):
    case_id: int
    #: in full, grouped for reading aloud
    phones: list[str]


# --- what needs a supervisor's eye: quarantined items and released cases ---------------------

QuarantineStatus = Literal["open", "settled", "all"]
Settlement = Literal["resolved", "dismissed"]


class QuarantineRow(BaseModel):
    """An item the server refused and kept aside as it was sent (G4)."""

    id: int
    item_uuid: str
    #: what the item was: "contact_attempt", "interview_version", "case_release" (from the body)
    kind: str
    case_id: int | None
    enumerator: str
    device_id: str
    reason: str
    received_at: UtcDatetime
    settlement: Settlement | None = None
    settled_by: str | None = None
    settled_at: UtcDatetime | None = None
    settlement_note: str = ""


class QuarantineList(BaseModel):
    total: int
    items: list[QuarantineRow]


class SettleRequest(Strict):
    """``resolved``: acted on (re-entered, the enumerator asked); ``dismissed``: nothing to do.
    The item itself is never deleted."""

    settlement: Settlement
    note: str = Field(default="", max_length=500)


class ReleasedCase(BaseModel):
    """A case an enumerator gave back, still in the pool waiting for someone else."""

    case_id: int
    service_code: str
    respondent_name: str
    released_by: str
    released_at: UtcDatetime
    reason: str
    priority: int


class ReleasedList(BaseModel):
    cases: list[ReleasedCase]


class EnumeratorPresence(BaseModel):
    username: str
    full_name: str
    #: the last time any of their devices talked to the server (login, sync); None: never
    last_seen: UtcDatetime | None


class LanguageBacklog(BaseModel):
    """One respondent language's backlog (issue 18): queued cases (not held by anyone), of
    them soft refusals waiting for conversion, and the enumerators on shift who speak it
    (``any``, a case of unknown language: every enumerator on shift)."""

    language: str
    queued: int
    conversions_waiting: int
    on_shift: int


class RoomStatus(BaseModel):
    """The call room at a glance: who is working and what waits for a supervisor."""

    #: the server's time of the answer: "last seen 5 minutes ago" is counted from it, so a
    #: supervisor's computer with a wrong clock still shows who is online
    at: UtcDatetime
    enumerators: list[EnumeratorPresence]
    open_conflicts: int
    waiting_review: int
    released_waiting: int
    quarantined_open: int
    #: issue 18: the backlog per respondent language (dz, tsj, ne, en, then any), so a
    #: supervisor sees at once where cases pile up with nobody on shift to call them
    languages: list[LanguageBacklog] = []
    #: queued soft refusals due for conversion, and enumerators on shift with that skill
    conversions_waiting: int = 0
    converters_on_shift: int = 0
    #: enumerators on shift (signed in: accounts.presence.on_shift_enumerators)
    on_shift: int = 0


RateGrouping = Literal["service", "office", "enumerator", "month", "language"]


class RateGroup(BaseModel):
    #: the service code, office, enumerator's username, month (YYYY-MM) or respondent
    #: language code (issue 18) of the group
    group: str
    rates: ResponseRates
    #: the mean SET composite (1–5) of the group's scored primary interviews and how many
    #: there are (issue 18: scores beside the rates, e.g. per respondent language); None: none
    composite: float | None = None
    scored: int = 0


class RateBreakdown(BaseModel):
    """AAPOR counts and rates side by side, one row per group. An enumerator's group holds
    the cases they last held (a case never given to anyone: "(never assigned)"); a month is
    the month the respondent availed the service."""

    by: RateGrouping
    groups: list[RateGroup]
    overall: ResponseRates


class DayCount(BaseModel):
    #: a day in Thimphu, by when the work reached the server (as "today" on the dashboard)
    day: date
    completes: int
    attempts: int


class ServiceWeeks(BaseModel):
    service_code: str
    #: the mean composite score (1–5) of the week's interviews; null for a week without any
    composite: list[float | None]
    interviews: list[int]


class Trends(BaseModel):
    """Fieldwork over time: completes and attempts per day, the composite per service per
    week (weeks start on Monday, Thimphu time)."""

    days: list[DayCount]
    weeks: list[date]
    services: list[ServiceWeeks]
