"""The plain data the writers are fed. The server fills these from its queries; nothing here
knows about a database, so the writers can be tested and benchmarked on their own.

Interviews and attempts are iterables consumed once, in order, so a caller can stream them
straight from a database cursor without holding them in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cati_app.core.protocol_sampling import DrawReport
from cati_app.core.protocol_scorecard import Ticket
from cati_app.core.questionnaire import Questionnaire

#: the rates in the order the Response rates sheet shows them
RATE_NAMES: tuple[str, ...] = (
    "RR1", "RR2", "RR3", "RR4", "RR5", "RR6", "COOP1", "COOP2", "COOP3", "COOP4",
    "REF1", "REF2", "REF3", "CON1", "CON2", "CON3")


#: what one export may select at most by code (a longer list is a mistake, not a wish)
MAX_SERVICES = 100
SERVICE_CODE_LENGTH = 32


class FilterError(ValueError):
    """Filters that cannot select what was asked (the message says what to change)."""


@dataclass(frozen=True, slots=True)
class ExportFilters:
    """What one export selects, validated when built and passed down unchanged: the server's
    queries, the workbook, the CSV and the Summary's description all read this one object.

    ``services``: service codes (any case, repeats and blanks ignored); empty = all services.
    Raises ``FilterError`` for dates in the wrong order or codes no service could have."""

    services: tuple[str, ...] = ()
    #: first and last date availed included (cases are selected by the date the respondent
    #: availed the service, as in the response-rate report)
    date_from: date | None = None
    date_to: date | None = None
    include_pii: bool = False

    def __post_init__(self) -> None:
        codes = _service_codes(self.services)
        too_long = [code for code in codes if len(code) > SERVICE_CODE_LENGTH]
        if too_long:
            raise FilterError(f"no service code is longer than {SERVICE_CODE_LENGTH} "
                              f"characters: {too_long[0][:40]!r}")
        if len(codes) > MAX_SERVICES:
            raise FilterError(f"at most {MAX_SERVICES} services in one export; leave them all "
                              "out to export every service")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise FilterError("'from' is after 'to': swap the dates")
        object.__setattr__(self, "services", codes)

    @property
    def label(self) -> str:
        """Short, for a file name: ``all``, ``cid``, ``cid-mimo`` or ``5-services``."""
        if not self.services:
            return "all"
        if len(self.services) > 3:
            return f"{len(self.services)}-services"
        return "-".join(self.services).lower()

    def describe(self) -> str:
        service = (("service " if len(self.services) == 1 else "services ")
                   + ", ".join(self.services) if self.services else "all services")
        start = self.date_from.isoformat() if self.date_from else "the first case"
        end = self.date_to.isoformat() if self.date_to else "the last case"
        dates = ("any date availed" if not (self.date_from or self.date_to)
                 else f"date availed from {start} to {end}")
        pii = ("respondent names and phone numbers INCLUDED (Raw data sheet only)"
               if self.include_pii else "no respondent names or phone numbers")
        return f"{service}; {dates}; {pii}"


def _service_codes(services: Iterable[str]) -> tuple[str, ...]:
    """The codes upper-cased, sorted, without repeats or blanks. One string is an iterable of
    its letters too: a caller's slip (from untyped code or JSON) that must not export "C",
    "I" and "D"."""
    if isinstance(services, str):
        raise FilterError("give the service codes as a list, not one string")
    return tuple(sorted({code.strip().upper() for code in services if code and code.strip()}))


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class InterviewRecord:
    """One primary complete or partial interview and the case it belongs to."""

    case_id: int
    service_code: str
    dzongkhag: str
    office: str
    date_availed: date | None
    enumerator: str
    started_at: datetime
    ended_at: datetime | None
    language: str
    questionnaire_id: str
    questionnaire_version: int
    completion: str
    answers: Mapping[str, Any]
    #: only filled when the export includes personal data
    respondent_name: str | None = None
    phones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    case_id: int
    service_code: str
    enumerator: str
    started_at: datetime
    phone_index: int
    outcome: str
    aapor_code: str
    stale: bool
    #: free text that may name people: None unless the export includes personal data
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RatesRecord:
    """AAPOR counts and rates of one service (or of all selected services together)."""

    label: str
    counts: Mapping[str, int]
    #: None when it cannot be estimated; a rate is None where its denominator is zero (the
    #: one "not computable" from core.rates to the cell, which is left empty)
    e: float | None
    e_method: str
    rates: Mapping[str, float | None]
    note: str = ""


@dataclass(frozen=True, slots=True)
class EnumeratorRecord:
    username: str
    full_name: str
    attempts: int
    completes: int
    #: time spent on calls and interviews: the sum of attempt durations (ended - started)
    hours_working: float
    #: mean length of the enumerator's primary complete interviews, None without any
    mean_interview_minutes: float | None

    @property
    def completes_per_hour(self) -> float | None:
        return self.completes / self.hours_working if self.hours_working > 0 else None


@dataclass
class ExportData:
    filters: ExportFilters
    generated_at: datetime
    services: list[ServiceInfo]
    #: every (questionnaire id, version) the interviews use, mapped to its definition
    questionnaires: Mapping[tuple[str, int], Questionnaire]
    rates: list[RatesRecord]
    enumerators: list[EnumeratorRecord]
    interviews: Iterable[InterviewRecord] = ()
    attempts: Iterable[AttemptRecord] = ()
    notes: list[str] = field(default_factory=list)
    #: complaint tickets reported in the export's dates, of its services (masked texts)
    tickets: list[Ticket] = field(default_factory=list)
    #: the sample reports of the draws behind the selected services (the Sample sheet)
    draws: list[DrawReport] = field(default_factory=list)
