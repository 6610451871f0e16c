"""Import a call list (CSV or XLSX) into one sample batch of queued cases (DESIGN.md §5).

Good rows are imported; every problem with a bad row goes to a report a supervisor can act on
(row number as seen in the spreadsheet, column as written in the file, the value, the reason).
A file we cannot read, an empty file or a missing required column imports nothing.

The import streams: rows are validated one at a time and inserted in chunks with bulk INSERTs,
so 100,000 rows import quickly and never sit in memory together. Names and phone numbers are
never logged; only counts are.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from cati_app.core import outcomes
from cati_app.core.clock import to_thimphu
from cati_app.core.phones import is_mobile, masked_middle
from cati_app.core.safe_csv import SafeCsvWriter
from cati_app.core.sms import channel_plan
from cati_app.server.audit import audit
from cati_app.server.db import refresh_planner_statistics
from cati_app.server.errors import Unprocessable
from cati_app.server.models import Case, CaseState, SampleBatch
from cati_app.server.services.cases.do_not_call import numbers_in_force
from cati_app.server.services.cases.sample_readers import (
    BadValue,
    Layout,
    Sheet,
    UnreadableRow,
    is_blank,
    map_columns,
    open_sheet,
    parse_channel,
    parse_date_availed,
    parse_language,
    parse_name,
    parse_optional_phone,
    parse_phone,
    parse_priority,
    parse_text,
    parse_yes_no,
    shown,
)
from cati_app.server.services.catalogue.catalogue import service_by_code
from cati_app.server.services.sms import mode_plan

log = logging.getLogger(__name__)

COLUMNS = ("name", "phone", "phone2", "phone3", "office", "dzongkhag", "date_availed",
           "language", "priority", "channel", "literate")
REQUIRED = ("name", "phone")
#: other spellings people use for a column, after normalising (Layout.column_key)
ALIASES = {"phone1": "phone"}
LAYOUT = Layout(COLUMNS, REQUIRED, ALIASES)
CHUNK_ROWS = 2000
PHONE_COLUMNS = ("phone1", "phone2", "phone3")
ON_REGISTER = "on the do-not-call register: every number of this row asked not to be called"
#: cases a new row must not duplicate: everything not yet closed
OPEN_STATES = (CaseState.QUEUED, CaseState.HELD, CaseState.NEEDS_SUPERVISOR)
#: ... and cases closed for the service within this window (the server's setting
#: ``reimport_window_days`` overrides it)
DEFAULT_REIMPORT_WINDOW = timedelta(days=90)
#: dispositions reported as "interviewed" rather than "closed as ..."
INTERVIEWED = ("I", "P")


@dataclass(frozen=True)
class Problem:
    """One reason one row was not imported."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportReport:
    source: str
    service_code: str
    batch_id: int | None = None
    batch_name: str = ""
    imported: int = 0
    rejected: int = 0  # rows, not problems: a row may have several
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    #: imported cases handed to the SMS channel first (issue 17)
    sms_first: int = 0
    #: rows rejected because every number is on the do-not-call register (in ``rejected``)
    do_not_call_rejected: int = 0
    #: numbers on the register left out of rows imported with another number
    do_not_call_dropped: int = 0

    def summary(self) -> str:
        text = f"imported {self.imported}, rejected {self.rejected}"
        if self.do_not_call_rejected or self.do_not_call_dropped:
            text += (f" ({self.do_not_call_rejected} on the do-not-call register); "
                     f"{self.do_not_call_dropped} number(s) on the register left out")
        if self.sms_first:
            text += f"; {self.sms_first} to be invited by SMS first"
        if self.ignored_columns:
            text += "; ignored columns not used by the import: " + ", ".join(
                self.ignored_columns)
        return text


def import_sample(session: Session, source: str | Path | Sheet, *, service_code: str,
                  batch_name: str | None = None, at: datetime, by: int | None = None,
                  reimport_window: timedelta = DEFAULT_REIMPORT_WINDOW) -> ImportReport:
    """Import the rows of ``source`` (a file path, or a Sheet of rows already in memory) as a
    new sample batch of ``service_code``. Raises Unprocessable (importing nothing) when the
    file cannot be read, is empty or lacks a required column; NotFound for an unknown service.
    A phone number open for the service, or closed for it within ``reimport_window``, is a
    duplicate (the server passes its ``reimport_window_days`` setting)."""
    service = service_by_code(session, service_code)
    with _opened(source) as sheet:
        columns, ignored = map_columns(sheet.headers, sheet.name, LAYOUT)
        rows = _non_blank(sheet.rows)
        first = next(rows, None)
        if first is None:
            raise Unprocessable(f"{sheet.name} has a header row but no rows of people to call")
        batch = _new_batch(session, batch_name or _default_batch_name(source, at),
                           service.id, at, by)
        report = ImportReport(source=sheet.name, service_code=service.code, batch_id=batch.id,
                              batch_name=batch.name, ignored_columns=ignored)
        checker = _RowChecker(columns, today=to_thimphu(at).date(),
                              known=_known_phones(session, service.id, at - reimport_window),
                              window=reimport_window, blocked=numbers_in_force(session))
        # Columns not named here (the claim pool, next phone, …) take the model's defaults
        # for a fresh case.
        base = {"batch_id": batch.id, "service_id": service.id, "state": CaseState.QUEUED,
                "assignment_version": 0, "attempt_count": 0, "created_at": at,
                "updated_at": at}
        for chunk in _chunks(itertools.chain([first], rows), CHUNK_ROWS):
            _import_chunk(session, chunk, checker, base, report)
        report.sms_first = mode_plan.hand_batch_to_sms(session, batch.id, at=at, by=by)
    report.do_not_call_rejected = checker.blocked_rows
    report.do_not_call_dropped = checker.blocked_dropped
    batch.rows_imported = report.imported
    batch.rows_rejected = report.rejected
    refresh_planner_statistics(session)
    audit(session, at=at, user_id=by, action="sample.import", entity="sample_batch",
          entity_id=batch.id, details={"service": service.code, "imported": report.imported,
                                       "rejected": report.rejected, "source": report.source,
                                       **_register_counts(report)})
    log.info("sample batch %s for %s: imported %d, rejected %d", batch.id, service.code,
             report.imported, report.rejected)
    return report


def _register_counts(report: ImportReport) -> dict[str, int]:
    """What the do-not-call register did to the import, for its audit row (when anything)."""
    counts = {"do_not_call_rejected": report.do_not_call_rejected,
              "do_not_call_dropped": report.do_not_call_dropped}
    return counts if any(counts.values()) else {}


def write_report(report: ImportReport, path: str | Path) -> Path:
    """The rejected rows as CSV (UTF-8 with BOM, so Excel shows Dzongkha text correctly); a
    rejected value is whatever the file held, so it is written through the safe CSV writer."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = SafeCsvWriter(stream)
        writer.writerow(["row", "column", "value", "reason"])
        for problem in report.problems:
            writer.writerow([problem.row, problem.column, problem.value, problem.reason])
    return path


def default_report_path(source: str | Path) -> Path:
    """Beside the imported file: ``calls.xlsx`` → ``calls.rejected.csv``."""
    source = Path(source)
    return source.with_name(source.stem + ".rejected.csv")


# --- reading --------------------------------------------------------------------------------


@contextmanager
def _opened(source: str | Path | Sheet) -> Iterator[Sheet]:
    if isinstance(source, Sheet):
        yield source
        return
    with open_sheet(source) as sheet:
        yield sheet


def _new_batch(session: Session, name: str, service_id: int, at: datetime, by: int | None
               ) -> SampleBatch:
    batch = SampleBatch(name=name.strip()[:200], service_id=service_id, imported_at=at,
                        imported_by=by)
    session.add(batch)
    session.flush()  # the cases need its id
    return batch


def _default_batch_name(source: str | Path | Sheet, at: datetime) -> str:
    stamp = to_thimphu(at).strftime("%Y-%m-%d %H:%M")
    name = source.name if isinstance(source, Sheet) else Path(source).name
    return f"{name} ({stamp})"


def _chunks(rows: Iterator[tuple[int, list[object]]], size: int
            ) -> Iterator[list[tuple[int, list[object]]]]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def _non_blank(rows: Iterator[tuple[int, list[object]]]) -> Iterator[tuple[int, list[object]]]:
    return ((number, cells) for number, cells in rows if not is_blank(cells))


# --- checking and inserting -----------------------------------------------------------------


@dataclass(frozen=True)
class _Known:
    """A case a new row must not duplicate; the reason is worded only when a row hits it."""

    case_id: int
    open: bool
    disposition: str | None = None
    code: str | None = None
    closed_at: datetime | None = None

    def reason(self, window: timedelta) -> str:
        if self.open:
            return (f"duplicate: case {self.case_id} with this phone number is already open "
                    "for this service")
        kind = outcomes.BY_KEY.get(self.disposition or "")
        label = f"{kind.label} ({self.code})" if kind is not None else "a final disposition"
        what = (f"interviewed ({label})" if kind is not None and kind.bucket in INTERVIEWED
                else f"closed as {label}")
        day = to_thimphu(self.closed_at).date().isoformat() if self.closed_at else "?"
        return (f"duplicate: case {self.case_id} with this phone number was {what} on {day} "
                f"for this service, within the last {window / timedelta(days=1):g} days")


def _known_phones(session: Session, service_id: int, since: datetime) -> dict[str, _Known]:
    """First phones a new row must not repeat: the service's open cases, and its cases closed
    since ``since`` (interviewed, refused, or closed by any other final disposition: a person
    already surveyed on this service is not called again within the window). Without the
    closed ones an approved, completed respondent re-imported would be a fresh case at the top
    of a queue. An open case wins over a closed one with the same phone."""
    closed_at = func.coalesce(Case.closed_at, Case.updated_at)
    rows = session.execute(select(
        Case.phone1, Case.id, Case.state, Case.disposition, Case.disposition_code, closed_at)
        .where(Case.service_id == service_id,
               or_(Case.state.in_(OPEN_STATES),
                   and_(Case.state == CaseState.CLOSED, closed_at >= since)))
        .order_by(Case.id)).all()
    known: dict[str, _Known] = {}
    for phone, case_id, state, disposition, code, when in rows:
        if state in OPEN_STATES:
            known[phone] = _Known(case_id, open=True)
        elif phone not in known or not known[phone].open:
            known[phone] = _Known(case_id, False, disposition, code, when)
    return known


def _import_chunk(session: Session, chunk: list[tuple[int, list[object]]],
                  checker: _RowChecker, base: dict[str, Any], report: ImportReport) -> None:
    good: list[dict[str, Any]] = []
    for number, cells in chunk:
        if isinstance(cells, UnreadableRow):  # an oversize CSV cell: this row, not the file
            report.rejected += 1
            report.problems.append(Problem(number, "", "", cells.reason))
            continue
        values, problems = checker.check(number, cells)
        if problems:
            report.rejected += 1
            report.problems.extend(problems)
        else:
            good.append(base | values)
    if good:
        session.execute(insert(Case), good)
        report.imported += len(good)


class _RowChecker:
    """Validates one row into Case column values, remembering first phones already taken."""

    def __init__(self, columns: dict[str, tuple[int, str]], *, today: date,
                 known: dict[str, _Known], window: timedelta, blocked: set[str]) -> None:
        self.columns = columns
        self.today = today
        self.known = known
        self.window = window
        self.seen_in_file: dict[str, int] = {}
        #: the do-not-call register, and what it did to the rows so far
        self.blocked = blocked
        self.blocked_rows = 0
        self.blocked_dropped = 0

    def check(self, number: int, cells: list[object]) -> tuple[dict[str, Any], list[Problem]]:
        problems: list[Problem] = []

        def field_value(column: str, parse: Any, *args: Any) -> Any:
            raw = self._cell(column, cells)
            try:
                return parse(raw, *args)
            except BadValue as exc:
                problems.append(Problem(number, self._header(column), shown(raw), exc.reason))
                return None

        values = {
            "respondent_name": field_value("name", parse_name),
            "phone1": field_value("phone", parse_phone),
            "phone2": field_value("phone2", parse_optional_phone),
            "phone3": field_value("phone3", parse_optional_phone),
            "office": field_value("office", parse_text, 200),
            "dzongkhag": field_value("dzongkhag", parse_text, 100),
            "date_availed": field_value("date_availed", parse_date_availed, self.today),
            "language": field_value("language", parse_language),
            "priority": field_value("priority", parse_priority),
        }
        preferred = field_value("channel", parse_channel)
        literate = field_value("literate", parse_yes_no)
        if problems:
            return values, problems
        _order_phones(values)
        dropped = self._drop_blocked(values)
        if dropped < 0:
            self.blocked_rows += 1
            return values, [Problem(number, self._header("phone"),
                                    masked_middle(values["phone1"]), ON_REGISTER)]
        _plan_channel(values, preferred, literate)
        duplicate = self._duplicate_reason(values["phone1"], number)
        if duplicate:
            raw = self._cell("phone", cells)
            return values, [Problem(number, self._header("phone"), shown(raw), duplicate)]
        self.seen_in_file[values["phone1"]] = number
        self.blocked_dropped += dropped
        return values, []

    def _drop_blocked(self, values: dict[str, Any]) -> int:
        """Numbers on the do-not-call register left out: how many; -1 when all of them."""
        phones = [values[k] for k in PHONE_COLUMNS if values[k]]
        allowed = [p for p in phones if p not in self.blocked]
        if not allowed:
            return -1
        for key, phone in itertools.zip_longest(PHONE_COLUMNS, allowed):
            values[key] = phone
        return len(phones) - len(allowed)

    def _cell(self, column: str, cells: list[object]) -> object:
        where = self.columns.get(column)
        if where is None or where[0] >= len(cells):
            return None
        return cells[where[0]]

    def _header(self, column: str) -> str:
        return self.columns[column][1] if column in self.columns else column

    def _duplicate_reason(self, phone: str, number: int) -> str:
        if phone in self.seen_in_file:
            return (f"duplicate: the same phone number is on row {self.seen_in_file[phone]} "
                    "of this file, which is imported")
        known = self.known.get(phone)
        return known.reason(self.window) if known is not None else ""


def _plan_channel(values: dict[str, Any], preferred: str | None, literate: bool | None) -> None:
    """The case's channel plan; SMS-first cases are handed to the SMS channel before the
    import commits (``mode_plan.hand_batch_to_sms``), so no claim sees them queued."""
    phones = [p for p in (values["phone1"], values["phone2"], values["phone3"]) if p]
    values["channel_plan"] = channel_plan(preferred, literate, any(is_mobile(p) for p in phones))


def _order_phones(values: dict[str, Any]) -> None:
    """Phones in order without gaps or repeats: a phone3 with no phone2 becomes phone2."""
    phones = list(dict.fromkeys(p for p in (values["phone1"], values["phone2"],
                                            values["phone3"]) if p))
    phones += [None] * (3 - len(phones))
    values["phone1"], values["phone2"], values["phone3"] = phones
