"""Plain, streaming readers of sample files (CSV in any usual delimiter and encoding, XLSX)
and the parsers that turn one cell into the value stored on a case.

A reader knows nothing about columns or validation: it gives the header row as written and then
``(row_number, cells)`` pairs, where ``row_number`` is the row as the person sees it in the
spreadsheet (the header is row 1 when it is the first line). Rows are produced one at a time,
so a 100,000-row file never sits in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import pickle
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Literal, Protocol

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from cati_app.core.languages import ANY
from cati_app.core.phones import InvalidPhoneNumber, normalize
from cati_app.core.safe_text import clean_text
from cati_app.server.errors import Unprocessable

CSV_DELIMITERS = ",;\t|"
_SNIFF_BYTES = 64 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
#: what a sample workbook may expand to: a 100,000-row call list is ~50 MB of XML unpacked,
#: while a zip bomb of a few hundred KB unpacks to gigabytes (checked before anything reads it)
MAX_SAMPLE_EXPANDED = 128 * 1024 * 1024
#: what reading a damaged or hostile workbook can raise, from zipfile, zlib, the XML parsers
#: (expat's ParseError and lxml's errors are SyntaxErrors; defusedxml's refusals of DTDs and
#: entities are ValueErrors) and openpyxl's cell conversions (ValueError, TypeError)
BROKEN_WORKBOOK: tuple[type[BaseException], ...] = (
    InvalidFileException, zipfile.BadZipFile, zlib.error, KeyError, OSError, EOFError,
    ValueError, TypeError, SyntaxError, IndexError, AttributeError)


@dataclass
class Sheet:
    """The header row as written in the file and an iterator over the data rows."""

    name: str
    headers: list[str]
    rows: Iterator[tuple[int, list[object]]]


@contextmanager
def open_sheet(path: str | Path) -> Iterator[Sheet]:
    """Open a CSV or XLSX file; raises Unprocessable for anything we cannot read."""
    path = Path(path)
    try:
        with path.open("rb") as probe:
            start = probe.read(_SNIFF_BYTES)
    except OSError as exc:
        raise Unprocessable(f"cannot read {path.name}: {exc.strerror or exc}") from None
    if start.startswith(_OLE_MAGIC):
        raise Unprocessable(f"{path.name} is an old Excel .xls file: save it as .xlsx or CSV "
                            "and import that")
    if start.startswith(_ZIP_MAGIC) or path.suffix.lower() in (".xlsx", ".xlsm"):
        with _xlsx_sheet(path) as sheet:
            yield sheet
        return
    with _csv_sheet(path, start) as sheet:
        yield sheet


@contextmanager
def read_whole(path: str | Path) -> Iterator[Sheet]:
    """``open_sheet``, but the whole file is read (and any problem with it raised) before this
    yields: the rows come from a spool on disk, so memory stays flat. An import parses with
    this *before* it opens its transaction, so on SQLite it never holds the write lock while
    it reads a (possibly huge or hostile) file."""
    with open_sheet(path) as sheet, tempfile.TemporaryFile(prefix="cati-rows-") as spool:
        for chunk in _chunked(sheet.rows, 2000):
            pickle.dump(chunk, spool, protocol=pickle.HIGHEST_PROTOCOL)
        spool.seek(0)
        yield Sheet(name=sheet.name, headers=sheet.headers, rows=_unspooled(spool))


def _chunked(rows: Iterator[tuple[int, list[object]]], size: int
             ) -> Iterator[list[tuple[int, list[object]]]]:
    chunk: list[tuple[int, list[object]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _unspooled(spool: IO[bytes]) -> Iterator[tuple[int, list[object]]]:
    while True:
        try:
            chunk = pickle.load(spool)  # our own spool, written just above
        except EOFError:
            return
        yield from chunk


def check_expansion(source: str | Path | IO[bytes], name: str, limit: int) -> None:
    """Refuse a workbook whose parts would unpack to more than ``limit`` bytes, from the sizes
    its zip directory declares (zipfile never unpacks a member past its declared size)."""
    try:
        with zipfile.ZipFile(source) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise Unprocessable(f"{name} is not an Excel workbook (.xlsx) that can be read: open "
                            "it in Excel and save it again") from None
    finally:
        if hasattr(source, "seek"):
            source.seek(0)
    if expanded > limit:
        raise Unprocessable(f"{name} expands to {expanded // 2**20} MB when unpacked, over "
                            f"the {limit // 2**20} MB a workbook may hold: it is damaged or "
                            "not a call list; split it or save it again as CSV")


def sheet_from_records(records: Iterable[Mapping[str, object]], headers: list[str],
                       name: str = "rows") -> Sheet:
    """Rows already in memory (the demo, tests) presented as if read from a spreadsheet."""
    rows = ((number, [record.get(h) for h in headers])
            for number, record in enumerate(records, start=2))
    return Sheet(name=name, headers=list(headers), rows=rows)


# --- XLSX -----------------------------------------------------------------------------------


@contextmanager
def _xlsx_sheet(path: Path) -> Iterator[Sheet]:
    check_expansion(path, path.name, MAX_SAMPLE_EXPANDED)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except BROKEN_WORKBOOK as exc:
        raise Unprocessable(f"{path.name} is not a readable XLSX workbook "
                            f"({type(exc).__name__}): open it in Excel and save it again") from None
    try:
        worksheet = workbook.worksheets[0]
        # Some tools write a wrong <dimension>; forget it so no row or column is cut off.
        worksheet.reset_dimensions()
        numbered = _xlsx_rows(worksheet, path.name)
        headers, _ = _first_non_blank(numbered, path.name)
        yield Sheet(name=path.name, headers=headers, rows=numbered)
    finally:
        workbook.close()


class WorksheetRows(Protocol):
    """What the imports read of a worksheet (openpyxl's read-only sheet borrows ``iter_rows``
    from ``Worksheet``, which its type stubs cannot express)."""

    @property
    def title(self) -> str: ...

    def iter_rows(self, *, values_only: Literal[True]) -> Iterable[tuple[object, ...]]: ...


def _xlsx_rows(worksheet: WorksheetRows, name: str) -> Iterator[tuple[int, list[object]]]:
    """The rows, numbered; a damaged or hostile sheet (malformed XML, a DTD, a number cell
    that holds text) stops the import with the row where reading failed, never a 500. The
    cell's content is not quoted: it may be a person's name or number."""
    number = 0
    try:
        for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
            yield number, list(cells)
    except BROKEN_WORKBOOK as exc:
        raise Unprocessable(f"{name} cannot be read past row {number}: the sheet is damaged "
                            f"or not a plain workbook ({type(exc).__name__}); open it in Excel "
                            "and save it again, or save it as CSV") from None


# --- CSV ------------------------------------------------------------------------------------


@contextmanager
def _csv_sheet(path: Path, start: bytes) -> Iterator[Sheet]:
    if b"\x00" in start:
        raise Unprocessable(f"{path.name} is neither a CSV file nor an XLSX workbook: "
                            "export the sample list as CSV or XLSX")
    encoding = _csv_encoding(path)
    with path.open(encoding=encoding, newline="") as stream:
        sample = stream.read(_SNIFF_BYTES)
        stream.seek(0)
        reader = csv.reader(stream, delimiter=_delimiter(sample))
        try:
            numbered = _csv_records(reader)
            headers, _ = _first_non_blank(numbered, path.name)
            yield Sheet(name=path.name, headers=headers, rows=_csv_rows(numbered, path.name))
        except csv.Error as exc:
            raise Unprocessable(f"{path.name} is not valid CSV: {exc}") from None


class UnreadableRow(list[object]):
    """A row that could not be read, in place of its cells: the import rejects this row with
    ``reason`` and goes on with the next one."""

    def __init__(self, reason: str) -> None:
        super().__init__(["(not read)"])
        self.reason = reason


def _csv_records(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[object]]]:
    """Records numbered as the spreadsheet shows them. A record with a field over csv's size
    limit (128 KiB: no call list has such a cell) becomes an UnreadableRow, not the end of the
    file; csv goes on at the next line."""
    number = 0
    while True:
        number += 1
        try:
            cells: list[object] = list(next(reader))
        except StopIteration:
            return
        except csv.Error as exc:
            if "field limit" not in str(exc):
                raise
            cells = UnreadableRow(f"a cell of this row is too large ({exc}): the row was not "
                                  "read")
        yield number, cells


def _csv_rows(numbered: Iterator[tuple[int, list[object]]], name: str
              ) -> Iterator[tuple[int, list[object]]]:
    try:
        yield from numbered
    except csv.Error as exc:
        raise Unprocessable(f"{name} is not valid CSV: {exc}") from None


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as such, else the Windows
    code page Excel uses for "CSV" exports, else Latin-1 (which decodes any byte)."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as stream:
                while chunk := stream.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        # The sniffer gives up on one-column files and some irregular ones: count the
        # candidates in the header line instead (a comma when there are none).
        header = io.StringIO(sample).readline()
        return max(CSV_DELIMITERS, key=lambda d: (header.count(d), d == ","))


# --- shared ---------------------------------------------------------------------------------


def _first_non_blank(numbered: Iterator[tuple[int, Iterable[object]]], name: str
                     ) -> tuple[list[str], int]:
    """The header row (skipping blank lines above it) and its row number."""
    for number, cells in numbered:
        headers = ["" if c is None else str(c).strip() for c in cells]
        if any(headers):
            return headers, number
    raise Unprocessable(f"{name} is empty: it needs a header row (name, phone, …) and "
                        "one row per person to call")


def is_blank(cells: list[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


# --- cell values ----------------------------------------------------------------------------
# A cell is text (CSV) or whatever openpyxl gives (str, int, float, datetime, bool, None).
# Each parser returns the stored value or raises BadValue with a reason for the report.

#: what a call list may say for each language (case-insensitive); a blank cell is "any"
LANGUAGES = {"en": "en", "eng": "en", "english": "en",
             "dz": "dz", "dzo": "dz", "dzongkha": "dz", "རྫོང་ཁ": "dz",
             "tsj": "tsj", "tshangla": "tsj", "sharchop": "tsj", "sharchopkha": "tsj",
             "tshangla (sharchop)": "tsj",
             "ne": "ne", "nep": "ne", "nepali": "ne", "lhotshamkha": "ne",
             "lhotshamkha (nepali)": "ne",
             "any": ANY}
ACCEPTED_LANGUAGES = ("dz (Dzongkha), tsj (Tshangla/Sharchop), ne (Lhotshamkha/Nepali), "
                      "en (English), or leave it blank when not known")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
DEFAULT_PRIORITY = 50


class BadValue(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def shown(value: object) -> str:
    """A cell as the person typed it, for the report."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_text(value: object, max_length: int) -> str:
    # cleaned on the way in (core.safe_text): a NUL (PostgreSQL cannot store it) or a pasted
    # vertical tab (no workbook can hold it) in a name or office never reaches the database
    text = clean_text(shown(value)).strip()
    if len(text) > max_length:
        raise BadValue(f"longer than {max_length} characters")
    return text


def parse_name(value: object) -> str:
    name = parse_text(value, 200)
    if not name:
        raise BadValue("no name given: every row needs the respondent's name")
    return name


def parse_phone(value: object) -> str:
    try:
        return normalize(value)
    except InvalidPhoneNumber as exc:
        raise BadValue(exc.reason) from None


def parse_optional_phone(value: object) -> str | None:
    return None if _blank(value) else parse_phone(value)


def parse_date_availed(value: object, today: date) -> date | None:
    if _blank(value):
        return None
    day = _as_date(value)
    if day > today:
        raise BadValue(f"{day.isoformat()} is in the future: give the date the person "
                       "availed the service")
    return day


def parse_language(value: object) -> str:
    """A code of core.languages; a blank cell is ``any`` (not known: any enumerator may take
    the case, and one who finds another language codes the language barrier outcome)."""
    if _blank(value):
        return ANY
    language = LANGUAGES.get(" ".join(shown(value).split()).lower())
    if language is None:
        raise BadValue(f"unknown language: use {ACCEPTED_LANGUAGES}")
    return language


def parse_priority(value: object) -> int:
    if _blank(value):
        return DEFAULT_PRIORITY
    number = _whole_number(value)
    if number is None:
        raise BadValue("not a whole number: give a priority from 0 to 100 (50 is usual)")
    if not 0 <= number <= 100:
        raise BadValue("out of range: give a priority from 0 to 100 (50 is usual)")
    return number


#: how people write the channel a respondent prefers (issue 17), to sms, web or cati
CHANNELS = {"sms": "sms", "text": "sms", "web": "web", "online": "web", "internet": "web",
            "cati": "cati", "phone": "cati", "call": "cati", "telephone": "cati"}
YES_NO = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False,
          "false": False, "0": False}


def parse_channel(value: object) -> str | None:
    if _blank(value):
        return None
    channel = CHANNELS.get(shown(value).strip().lower())
    if channel is None:
        raise BadValue("unknown channel: use sms, web or phone (or leave it empty)")
    return channel


def parse_yes_no(value: object) -> bool | None:
    if _blank(value):
        return None
    answer = YES_NO.get(shown(value).strip().lower())
    if answer is None:
        raise BadValue("give yes or no (or leave it empty when not known)")
    return answer


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date cell formatted as a number: Excel's serial day count.
        if EXCEL_SERIALS[0] <= value <= EXCEL_SERIALS[1]:
            serial: datetime = from_excel(value)
            return serial.date()
        raise BadValue("not a date: use YYYY-MM-DD or DD/MM/YYYY")
    text = str(value).strip()
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    try:  # "2026-05-20 00:00:00", "2026-05-20T09:30"
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise BadValue("not a date: use YYYY-MM-DD or DD/MM/YYYY (day first)") from None


#: serial numbers Excel uses for 1960-01-01 … 2099-12-31; anything else is not a service date
EXCEL_SERIALS = (21916, 73415)


@dataclass(frozen=True)
class Layout:
    """What a kind of file (a call list, a frame) knows: its columns, the ones it cannot do
    without, other spellings people use (after ``column_key``), and how its error names the
    header row."""

    columns: tuple[str, ...]
    required: tuple[str, ...]
    aliases: Mapping[str, str]
    header_row: str = "the header row must name at least the columns"

    def column_key(self, header: str) -> str:
        key = "".join(c for c in header.lower() if c not in " _-\t")
        return self.aliases.get(key, key)


def map_columns(headers: list[str], name: str, layout: Layout
                ) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """Each known column → (its index, its header as written); and the ignored headers.
    Unprocessable (naming what to do) for a column given twice or a required one missing."""
    known = {layout.column_key(c): c for c in layout.columns}
    columns: dict[str, tuple[int, str]] = {}
    ignored: list[str] = []
    for index, header in enumerate(headers):
        column = known.get(layout.column_key(header))
        if column is None:
            if header:
                ignored.append(header)
            continue
        if column in columns:
            raise Unprocessable(f"{name} has two {column} columns ({columns[column][1]!r} and "
                                f"{header!r}): keep one and import again")
        columns[column] = (index, header)
    missing = [c for c in layout.required if c not in columns]
    if missing:
        raise Unprocessable(
            f"{name} has no {' or '.join(missing)} column: {layout.header_row} "
            f"{', '.join(layout.required)} (found: {', '.join(h for h in headers if h)})")
    return columns, ignored
