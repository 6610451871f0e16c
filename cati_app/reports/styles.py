"""Cell styles and write-only sheet helpers shared by every sheet.

Write-only sheets take column widths, frozen panes and filters before (widths, panes) or
alongside (filter ranges, charts) their rows, and a styled value must be a WriteOnlyCell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_BORDER = Border(bottom=Side(style="thin", color="000000"))
TITLE_FONT = Font(bold=True, size=14)
LABEL_FONT = Font(bold=True)
TOTAL_FONT = Font(bold=True)

SCORE = "0.00"
PERCENT = "0.0%"
RATE = "0.0000"
INTEGER = "#,##0"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
NOT_AVAILABLE = "n/a"


def cell(ws: WriteOnlyWorksheet, value: Any, number_format: str | None = None,
         font: Font | None = None, wrap: bool = False) -> WriteOnlyCell:
    styled = WriteOnlyCell(ws, value=value)
    if number_format and isinstance(value, int | float):
        styled.number_format = number_format
    if font is not None:
        styled.font = font
    if wrap:
        styled.alignment = Alignment(wrap_text=True, vertical="top")
    return styled


def header(ws: WriteOnlyWorksheet, titles: Iterable[str]) -> list[WriteOnlyCell]:
    cells = []
    for title in titles:
        styled = WriteOnlyCell(ws, value=title)
        styled.font, styled.fill, styled.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
        styled.alignment = Alignment(wrap_text=True, vertical="center")
        cells.append(styled)
    return cells


def formatted(ws: WriteOnlyWorksheet, values: Sequence[Any], formats: Sequence[str | None],
              font: Font | None = None) -> list[Any]:
    """A row with a number format per column; None (undefined) is shown as n/a."""
    return [cell(ws, NOT_AVAILABLE if value is None else value, fmt, font)
            for value, fmt in zip(values, formats, strict=True)]


def prepare(ws: WriteOnlyWorksheet, widths: Sequence[float], freeze: str | None) -> None:
    """Column widths and frozen panes: both must be set before the first row is written."""
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        ws.freeze_panes = freeze
    # printed or turned into PDF: landscape, as wide as the page, as many pages down as needed
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


def tall_header(ws: WriteOnlyWorksheet, row: int) -> None:
    """Room for two lines of wrapped header text; set before the row is written."""
    ws.row_dimensions[row].height = 32


def add_filter(ws: WriteOnlyWorksheet, header_row: int, columns: int, last_row: int) -> None:
    last = max(last_row, header_row)
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(columns)}{last}"
