"""The streamed rows of the large sheets (issue 14): what openpyxl reads back is what openpyxl
would have written for the same values, LibreOffice opens the file, and the text rules of
DESIGN.md §5 hold (never a formula, no illegal XML characters, phone numbers masked)."""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook

from cati_app.reports import styles
from cati_app.reports.xlsx_stream import MAX_TEXT, splice

HOSTILE = ["=1+1", "+SUM(1,2)", "-2+3", "@SUM(1)", '=HYPERLINK("http://x.example","y")',
           "\t=1+1", "=cmd|' /C calc'!A0"]
ROWS: list[list[Any]] = [
    [1, "CID", 2.5, date(2026, 5, 1), datetime(2026, 6, 1, 9, 30, 15), True, None, "x"],
    [2, "a & b <c> \"d\" 'e'", -0.125, None, datetime(1999, 12, 31, 23, 59), False, 7, ""],
    [3, "  spaces kept  ", math.nan, date(2026, 1, 31), None, None, math.inf, "ལེགས་པ།"],
    [4, "line one\nline two\x0bthree\x00\x1f", 10**12, None, None, None, Decimal("1.25"),
     "call 17 12 34 56 or +975-77-123456"],
    *[[10 + n, text, None, None, None, None, None, text] for n, text in enumerate(HOSTILE)],
    [20, "y" * (MAX_TEXT + 10), 0, None, None, None, 0.1, None],
    [21, "windows\r\nline end", None, None, None, None, None, "tab\tinside"],
]


def _header(ws: Any) -> list[Any]:
    return styles.header(ws, [f"Column {n}" for n in range(1, len(ROWS[0]) + 1)])


def _streamed_book(path: Path, rows: Sequence[Sequence[Any]], *, mask_phones: bool) -> None:
    book = Workbook(write_only=True)
    sheet = styles.TextSafeSheet(book.create_sheet("Rows"), mask_phones=mask_phones)
    small = book.create_sheet("Small")
    small.append(["untouched", 1])
    sheet.append(_header(sheet))
    stream = styles.streamed(sheet)
    try:
        for row in rows:
            stream.append(row)
        styles.add_filter(sheet, 1, len(rows[0]), stream.rows + 1)
        book.save(path)
        splice(path, {"Rows": stream})
    finally:
        stream.discard()


def _openpyxl_book(path: Path, rows: Sequence[Sequence[Any]], *, mask_phones: bool) -> None:
    """The same rows the way every other sheet is written (TextSafeSheet over openpyxl)."""
    book = Workbook(write_only=True)
    sheet = styles.TextSafeSheet(book.create_sheet("Rows"), mask_phones=mask_phones)
    book.create_sheet("Small").append(["untouched", 1])
    sheet.append(_header(sheet))
    for row in rows:
        # openpyxl would write NaN as "nan" and refuses Decimal NaN: the stream leaves such
        # cells empty, the one way "not computable" reaches a cell
        sheet.append([None if isinstance(v, float) and not math.isfinite(v) else v
                      for v in row])
    book.save(path)


def _values(path: Path) -> list[list[Any]]:
    book = openpyxl.load_workbook(path)
    return [[cell.value for cell in row] for row in book["Rows"].iter_rows()]


@pytest.mark.parametrize("mask_phones", [False, True])
def test_openpyxl_reads_back_what_openpyxl_would_have_written(tmp_path: Path,
                                                              mask_phones: bool) -> None:
    _streamed_book(tmp_path / "streamed.xlsx", ROWS, mask_phones=mask_phones)
    _openpyxl_book(tmp_path / "openpyxl.xlsx", ROWS, mask_phones=mask_phones)
    streamed = _values(tmp_path / "streamed.xlsx")
    assert streamed == _values(tmp_path / "openpyxl.xlsx")
    assert streamed[1][:6] == [1, "CID", 2.5, datetime(2026, 5, 1),
                               datetime(2026, 6, 1, 9, 30, 15), True]
    assert streamed[3][2] is None and streamed[3][6] is None  # NaN, infinity: empty cells
    assert streamed[4][1] == "line one\nline two\nthree"  # VT is a line break, NUL is gone
    assert streamed[4][7] == ("call [phone] or [phone]" if mask_phones
                              else "call 17 12 34 56 or +975-77-123456")
    assert len(streamed[-2][1]) == MAX_TEXT
    assert streamed[-1][1] == "windows\r\nline end"  # the carriage return survives


def test_text_is_never_a_formula_and_keeps_its_quote_prefix(tmp_path: Path) -> None:
    path = tmp_path / "streamed.xlsx"
    _streamed_book(path, ROWS, mask_phones=False)
    sheet = openpyxl.load_workbook(path)["Rows"]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row
             if cell.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    hostile = [c for c in cells if c.value in HOSTILE]
    assert len(hostile) == 2 * len(HOSTILE)
    assert all(c.data_type == "s" and c.quotePrefix for c in hostile)
    assert not sheet["B2"].quotePrefix


def test_dates_numbers_and_the_rest_of_the_workbook_keep_their_formats(tmp_path: Path) -> None:
    path = tmp_path / "streamed.xlsx"
    _streamed_book(path, ROWS, mask_phones=False)
    book = openpyxl.load_workbook(path)
    sheet = book["Rows"]
    assert sheet["D2"].number_format == styles.DATE
    assert sheet["E2"].number_format == styles.DATETIME
    assert sheet["A1"].font.bold and sheet["A1"].value == "Column 1"  # openpyxl's header
    assert sheet.auto_filter.ref == f"A1:H{len(ROWS) + 1}"
    assert [[c.value for c in row] for row in book["Small"].iter_rows()] == [["untouched", 1]]


def test_a_column_keeps_its_template_style(tmp_path: Path) -> None:
    book = Workbook(write_only=True)
    sheet = styles.TextSafeSheet(book.create_sheet("Rows"), mask_phones=False)
    stream = styles.streamed(sheet, column_styles=[None, styles.wrapped(sheet)])
    stream.append(["plain", "wrapped", "after"])
    stream.append(["=1", "=2"])
    path = tmp_path / "styled.xlsx"
    book.save(path)
    splice(path, {"Rows": stream})
    stream.discard()
    read = openpyxl.load_workbook(path)["Rows"]
    assert read["B2"].alignment.wrap_text and not read["A2"].alignment.wrap_text
    assert read["B3"].alignment.wrap_text and read["B3"].quotePrefix
    assert read["C2"].value == "after" and not read["C2"].alignment.wrap_text


def test_a_value_no_cell_can_hold_is_refused(tmp_path: Path) -> None:
    book = Workbook(write_only=True)
    stream = styles.streamed(styles.TextSafeSheet(book.create_sheet("Rows"), mask_phones=False))
    try:
        with pytest.raises(TypeError, match="time zones"):
            stream.append([datetime(2026, 6, 1, tzinfo=UTC)])
        with pytest.raises(TypeError, match="cannot write a dict"):
            stream.append([{"a": 1}])
    finally:
        stream.discard()
    assert not stream.path.exists()


def test_libreoffice_opens_the_streamed_workbook(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (Debian: apt-get install libreoffice-calc) reads the export"
    path = tmp_path / "streamed.xlsx"
    _streamed_book(path, ROWS, mask_phones=False)
    with tempfile.TemporaryDirectory() as profile:  # its own profile: tests may run at once
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                        "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1",
                        "--outdir", str(tmp_path), str(path)],
                       check=True, capture_output=True, timeout=180)
    with (tmp_path / "streamed.csv").open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0][0] == "Column 1"
    assert rows[1][:3] == ["1", "CID", "2.5"]
    assert rows[2][1] == "a & b <c> \"d\" 'e'"
    assert rows[3][1] == "  spaces kept  " and rows[3][7] == "ལེགས་པ།"
    shown = {row[1] for row in rows[5:5 + len(HOSTILE)]}
    assert shown == set(HOSTILE)  # shown as typed, not run: "=1+1" is not "2"
    assert len(rows) == len(ROWS) + 1
