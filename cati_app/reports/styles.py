"""Cell styles and write-only sheet helpers shared by every sheet.

Write-only sheets take column widths, frozen panes and filters before (widths, panes) or
alongside (filter ranges, charts) their rows, and a styled value must be a WriteOnlyCell.

Every cell of the workbook passes through ``TextSafeSheet.append`` → ``safe_value``, the one
place text becomes a cell (DESIGN.md §5): text is cleaned of characters XML cannot hold (one
stored vertical tab used to fail every export for good), is always a text cell, never a formula
(openpyxl otherwise writes any str starting with ``=`` as one), and in an export without
personal data has its phone numbers masked. Numbers, dates and empty cells are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, cast

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.chart._chart import ChartBase
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.dimensions import ColumnDimension, DimensionHolder, RowDimension
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.page import PrintPageSetup
from openpyxl.worksheet.properties import WorksheetProperties

from cati_app.core.safe_text import FORMULA_PREFIXES, export_text, is_plain_text
from cati_app.reports.xlsx_stream import StreamedRows

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


class SheetLayout(Protocol):
    """The layout of a write-only sheet. openpyxl gives every write-only sheet these at run
    time (it borrows Worksheet's set-up and ``add_chart``), but its type stubs leave them out
    of ``WriteOnlyWorksheet`` (or type ``add_chart`` for a Worksheet ``self``)."""

    column_dimensions: DimensionHolder[str, ColumnDimension]
    row_dimensions: DimensionHolder[int, RowDimension]
    page_setup: PrintPageSetup
    sheet_properties: WorksheetProperties
    auto_filter: AutoFilter

    def add_chart(self, chart: ChartBase, anchor: str | None = None) -> None: ...


class TextSafeSheet:
    """A write-only sheet whose every appended value goes through ``safe_value``; everything
    else (widths, panes, filters, charts) is the sheet's own: ``sheet`` and ``layout``."""

    def __init__(self, ws: WriteOnlyWorksheet, *, mask_phones: bool) -> None:
        self._ws = ws
        self.mask_phones = mask_phones

    @property
    def sheet(self) -> WriteOnlyWorksheet:
        """The openpyxl sheet underneath: for its cells, chart references and frozen panes.
        Its rows go through ``append`` (or ``streamed``), never straight to it."""
        return self._ws

    @property
    def layout(self) -> SheetLayout:
        # the one place the stubs' gap is bridged: see SheetLayout
        return cast(SheetLayout, self._ws)

    def append(self, row: Iterable[Any]) -> None:
        self._ws.append([safe_value(self._ws, value, self.mask_phones) for value in row])

    def add_chart(self, chart: ChartBase, anchor: str) -> None:
        self.layout.add_chart(chart, anchor)


def safe_value(ws: WriteOnlyWorksheet, value: Any, mask_phones: bool) -> Any:
    """``value`` as it may enter the sheet: text (bare or inside a styled cell) becomes a
    cleaned text cell; anything else is returned unchanged."""
    if isinstance(value, Cell):  # WriteOnlyCell makes a Cell
        if isinstance(value.value, str):
            _set_text(value, value.value, mask_phones)
        return value
    if isinstance(value, str) and not is_plain_text(value, mask_phones=mask_phones):
        return _new_cell(ws, value, mask_phones)
    return value  # a number, a date, or text openpyxl writes as text as it is (the fast path)


def _new_cell(ws: WriteOnlyWorksheet, value: Any, mask_phones: bool = False) -> Cell:
    """A cell to style; text never goes through ``.value`` (see ``_set_text``). Masking is
    ``TextSafeSheet.append``'s: it knows whether the export has personal data."""
    if not isinstance(value, str):
        return WriteOnlyCell(ws, value=value)
    text_cell = WriteOnlyCell(ws)
    _set_text(text_cell, value, mask_phones)
    return text_cell


def _set_text(target: Cell, text: str, mask_phones: bool) -> None:
    # Set directly, not through ``.value``: that would make "=..." a formula again and raise
    # on illegal characters; 32,767 characters is what one Excel cell holds.
    cleaned = export_text(text, mask_phones=mask_phones)[:32767]
    # the stubs do not declare Cell's slot ``_value`` (openpyxl's own code sets it so)
    target._value = cleaned  # type: ignore[attr-defined]
    target.data_type = "s"
    if cleaned.startswith(FORMULA_PREFIXES):
        # Excel keeps such a cell text even when someone edits it (its "'" prefix)
        target.quotePrefix = True


def streamed(sheet: TextSafeSheet, first_row: int = 2,
             column_styles: Sequence[Cell | None] = ()) -> StreamedRows:
    """The fast writer of a large sheet's rows after its header (``xlsx_stream``), with the
    sheet's text rules and the workbook's date formats."""
    return StreamedRows(sheet.sheet, first_row=first_row, mask_phones=sheet.mask_phones,
                        date_format=DATE, datetime_format=DATETIME, column_styles=column_styles)


def wrapped(ws: TextSafeSheet) -> Cell:
    """A template cell whose text wraps, top-aligned (a streamed column's style)."""
    template = WriteOnlyCell(ws.sheet)
    template.alignment = Alignment(wrap_text=True, vertical="top")
    return template


def cell(ws: TextSafeSheet, value: Any, number_format: str | None = None,
         font: Font | None = None, wrap: bool = False) -> Cell:
    styled = _new_cell(ws.sheet, value)
    if number_format and isinstance(value, int | float):
        styled.number_format = number_format
    if font is not None:
        styled.font = font
    if wrap:
        styled.alignment = Alignment(wrap_text=True, vertical="top")
    return styled


def header(ws: TextSafeSheet, titles: Iterable[str],
           notes: Mapping[str, str] | None = None) -> list[Cell]:
    """The header row's cells; ``notes`` puts a note (Excel's comment) on the titles it names:
    a header in words keeps its code there, a header that is a code gets its words."""
    cells = []
    for title in titles:
        styled = _new_cell(ws.sheet, title)
        styled.font, styled.fill, styled.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
        styled.alignment = Alignment(wrap_text=True, vertical="center")
        if notes and title in notes:
            styled.comment = Comment(notes[title], "ServE CATI", width=260, height=90)
        cells.append(styled)
    return cells


def formatted(ws: TextSafeSheet, values: Sequence[Any], formats: Sequence[str | None],
              font: Font | None = None) -> list[Any]:
    """A row with a number format per column. None (not computable: the project's one way
    of saying so, from core.rates on) is an empty cell, so a column stays numbers an analyst
    can sum and sort; the sheet's note says what an empty cell means."""
    return [None if value is None else cell(ws, value, fmt, font)
            for value, fmt in zip(values, formats, strict=True)]


def prepare(ws: TextSafeSheet, widths: Sequence[float], freeze: str | None) -> None:
    """Column widths and frozen panes: both must be set before the first row is written."""
    layout = ws.layout
    for index, width in enumerate(widths, start=1):
        layout.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        ws.sheet.freeze_panes = freeze
    # printed or turned into PDF: landscape, as wide as the page, as many pages down as needed
    layout.page_setup.orientation = "landscape"
    page_fit = layout.sheet_properties.pageSetUpPr
    assert page_fit is not None  # a new sheet's properties always have one (openpyxl makes it)
    page_fit.fitToPage = True
    layout.page_setup.fitToWidth, layout.page_setup.fitToHeight = 1, 0


def tall_header(ws: TextSafeSheet, row: int) -> None:
    """Room for two lines of wrapped header text; set before the row is written."""
    ws.layout.row_dimensions[row].height = 32


def add_filter(ws: TextSafeSheet, header_row: int, columns: int, last_row: int) -> None:
    last = max(last_row, header_row)
    ws.layout.auto_filter.ref = f"A{header_row}:{get_column_letter(columns)}{last}"
