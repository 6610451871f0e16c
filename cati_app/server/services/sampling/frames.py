"""Import a sampling frame: an agency's transaction extract for a period (issue 15).

The readers, cell parsers and phone validation are the sample import's
(``services.cases.sample_readers``), and so is the per-row report of problems. Two differences,
because a frame is the population the sample is drawn from rather than a list to call:
- a row with no valid phone number is *kept* (with no number) and reported: it belongs to the
  population, and the draw counts it as excluded (``no_valid_phone``), so the coverage lost is
  visible in the sample report;
- a row outside the frame's period is kept too and excluded at the draw (``outside_period``).
Rows whose service is unknown, whose name is missing or whose values cannot be read are
rejected as in the sample import.

A national ID is hashed at once (HMAC-SHA256 under the server's ``id_hash_salt``) and only the
hash is stored; without a salt, a file with an ID column is refused rather than stored raw.
Rows are inserted in chunks with bulk INSERTs; names, numbers and IDs are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cati_app.core.clock import to_thimphu
from cati_app.server.audit import audit
from cati_app.server.errors import Unprocessable
from cati_app.server.models import FrameRow, SampleFrame, Service
from cati_app.server.services.cases.sample_import import Problem
from cati_app.server.services.cases.sample_readers import (
    BadValue,
    Layout,
    Sheet,
    UnreadableRow,
    is_blank,
    map_columns,
    parse_date_availed,
    parse_language,
    parse_name,
    parse_optional_phone,
    parse_text,
    shown,
)

log = logging.getLogger(__name__)

COLUMNS = ("service", "name", "phone", "phone2", "phone3", "office", "dzongkhag",
           "date_availed", "language", "literate", "channel", "national_id")
REQUIRED = ("service", "name", "phone")
#: other spellings of a column, after normalising (lower case, no spaces, _ or -)
ALIASES = {"phone1": "phone", "servicecode": "service", "literacy": "literate",
           "preferredchannel": "channel", "nationalid": "national_id", "cid": "national_id",
           "cidno": "national_id", "cidnumber": "national_id", "idnumber": "national_id",
           "dateavailed": "date_availed"}
LAYOUT = Layout(COLUMNS, REQUIRED, ALIASES,
                header_row="a frame's header row must name at least")
CHUNK_ROWS = 5000
YES = {"yes", "y", "true", "1", "literate"}
NO = {"no", "n", "false", "0", "illiterate", "not literate"}
CHANNELS = {"sms": "sms", "text": "sms", "cati": "cati", "phone": "cati", "call": "cati",
            "voice": "cati"}
NO_PHONE_KEPT = "kept in the frame but never sampled: no valid phone number"


@dataclass
class FrameReport:
    frame_id: int | None
    name: str
    agency: str
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0  # rows, not problems
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def import_frame(session: Session, sheet: Sheet, *, name: str, agency: str = "",
                 period_start: date | None = None, period_end: date | None = None,
                 at: datetime, by: int | None, salt: str) -> FrameReport:
    """Store the rows of ``sheet`` as a new frame. Raises Unprocessable (storing nothing) for
    a missing required column, an empty file, a bad period or an ID column without a salt."""
    if period_start and period_end and period_start > period_end:
        raise Unprocessable("the period starts after it ends: swap the dates")
    columns, ignored = map_columns(sheet.headers, sheet.name, LAYOUT)
    if "national_id" in columns and not salt:
        raise Unprocessable(
            f"{sheet.name} has a national ID column ({columns['national_id'][1]!r}) but the "
            "server has no salt to hash IDs with: set CATI_ID_HASH_SALT (a long random "
            "secret) and restart the server, or remove the column and import again")
    frame = SampleFrame(name=(name.strip() or sheet.name)[:200], agency=agency.strip()[:200],
                        period_start=period_start, period_end=period_end,
                        source=sheet.name[:200], imported_at=at, imported_by=by)
    session.add(frame)
    session.flush()
    report = FrameReport(frame.id, frame.name, frame.agency, ignored_columns=ignored)
    services = {code.upper(): sid for sid, code in session.execute(
        select(Service.id, Service.code))}
    checker = _RowChecker(columns, services, today=to_thimphu(at).date(), salt=salt)
    rows = ((n, cells) for n, cells in sheet.rows if not is_blank(cells))
    while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
        good = [row for row in (_checked(checker, n, cells, report) for n, cells in chunk)
                if row is not None]
        if good:
            # render_nulls: every row in one batch; without it the ORM leaves out the NULL
            # columns and starts a new statement whenever a row's pattern of blanks changes
            # (8,000 statements for 20,000 rows on PostgreSQL, measured)
            session.execute(insert(FrameRow).execution_options(render_nulls=True),
                            [{"frame_id": frame.id, **row} for row in good])
    if report.rows_read == 0:
        raise Unprocessable(f"{sheet.name} has a header row but no rows of service users")
    frame.rows, frame.rows_rejected = report.accepted, report.rejected
    audit(session, at=at, user_id=by, action="frame.import", entity="sample_frame",
          entity_id=frame.id, details={"source": sheet.name[:200], "rows": report.accepted,
                                       "rejected": report.rejected, "agency": frame.agency})
    log.info("frame %s: %d rows, %d rejected", frame.id, report.accepted, report.rejected)
    return report


def hash_national_id(value: str, salt: str) -> str:
    """HMAC-SHA256 of the ID (spaces, dashes and case ignored) under ``salt``, in hex."""
    normal = "".join(c for c in value.upper() if c.isalnum())
    return hmac.new(salt.encode(), normal.encode(), hashlib.sha256).hexdigest()


def _checked(checker: _RowChecker, number: int, cells: list[object], report: FrameReport
             ) -> dict[str, Any] | None:
    report.rows_read += 1
    if isinstance(cells, UnreadableRow):
        report.rejected += 1
        report.problems.append(Problem(number, "", "", cells.reason))
        return None
    values, problems, rejected = checker.check(number, cells)
    report.problems.extend(problems)
    if rejected:
        report.rejected += 1
        return None
    report.accepted += 1
    return values


def _literate(value: object) -> bool | None:
    text = shown(value).strip().lower()
    if not text:
        return None
    if text in YES or text in NO:
        return text in YES
    raise BadValue("not yes or no: write yes (can read an SMS), no, or leave it empty")


def _channel(value: object) -> str | None:
    text = shown(value).strip().lower()
    if not text:
        return None
    if text not in CHANNELS:
        raise BadValue("unknown channel: write sms or cati (phone), or leave it empty")
    return CHANNELS[text]


class _RowChecker:
    def __init__(self, columns: dict[str, tuple[int, str]], services: dict[str, int], *,
                 today: date, salt: str) -> None:
        self.columns = columns
        self.services = services
        self.today = today
        self.salt = salt

    def check(self, number: int, cells: list[object]
              ) -> tuple[dict[str, Any], list[Problem], bool]:
        """The row's column values, its problems, and whether it is rejected."""
        problems: list[Problem] = []

        def value(column: str, parse: Callable[..., Any], *args: Any) -> Any:
            raw = self._cell(column, cells)
            try:
                return parse(raw, *args)
            except BadValue as exc:
                # an ID is never echoed back, not even a malformed one
                shown_value = "(not shown)" if column == "national_id" else shown(raw)
                problems.append(Problem(number, self._header(column), shown_value, exc.reason))
                return None

        row = {"row_number": number,
               "service_id": value("service", self._service),
               "respondent_name": value("name", parse_name),
               "office": value("office", parse_text, 200),
               "dzongkhag": value("dzongkhag", parse_text, 100),
               "date_availed": value("date_availed", parse_date_availed, self.today),
               "language": value("language", parse_language),
               "literate": value("literate", _literate),
               "preferred_channel": value("channel", _channel),
               "id_hash": value("national_id", self._id_hash)}
        if problems:
            return row, problems, True
        row.update(self._phones(number, cells, problems))
        return row, problems, False

    def _phones(self, number: int, cells: list[object], problems: list[Problem]
                ) -> dict[str, str | None]:
        """The valid numbers in order; invalid ones are reported, the row is kept."""
        found: list[str] = []
        for column in ("phone", "phone2", "phone3"):
            raw = self._cell(column, cells)
            try:
                phone = parse_optional_phone(raw)
            except BadValue as exc:
                problems.append(Problem(number, self._header(column), shown(raw), exc.reason))
                continue
            if phone and phone not in found:
                found.append(phone)
        if not found:
            problems.append(Problem(number, self._header("phone"),
                                    shown(self._cell("phone", cells)), NO_PHONE_KEPT))
        found += [None] * (3 - len(found))  # type: ignore[list-item]
        return {"phone1": found[0], "phone2": found[1], "phone3": found[2]}

    def _service(self, raw: object) -> int:
        code = shown(raw).strip().upper()
        if not code:
            raise BadValue("no service code: every row needs the service availed, e.g. CID")
        if code not in self.services:
            raise BadValue(f"unknown service code {code[:40]!r}: add the service first "
                           "(cati-server add-service) or correct the code")
        return self.services[code]

    def _id_hash(self, raw: object) -> str | None:
        text = shown(raw).strip()
        if not text:
            return None
        if not any(c.isalnum() for c in text) or len(text) > 40:
            raise BadValue("not a national ID: leave it empty or give the ID number")
        return hash_national_id(text, self.salt)

    def _cell(self, column: str, cells: list[object]) -> object:
        where = self.columns.get(column)
        if where is None or where[0] >= len(cells):
            return None
        return cells[where[0]]

    def _header(self, column: str) -> str:
        return self.columns[column][1] if column in self.columns else column
