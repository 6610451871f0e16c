"""The one CSV row writer of the project (DESIGN.md §5): every CSV it writes (the raw data
export, the import's rejected-rows report) goes through ``SafeCsvWriter``.

A CSV has no cell types, so a spreadsheet program runs any cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula (CSV injection). Every text cell is cleaned of illegal characters
and neutralised with a leading apostrophe; numbers, dates and empty cells are written as they
are, so a negative *number* stays a number.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

from cati_app.core.safe_text import export_text, neutralise_formula


def csv_cell(value: Any, *, mask_phones: bool = False) -> Any:
    if isinstance(value, str):
        return neutralise_formula(export_text(value, mask_phones=mask_phones))
    return value


class SafeCsvWriter:
    """``csv.writer`` whose every text cell is safe to open in a spreadsheet. With
    ``mask_phones`` (exports without personal data) phone numbers in text are masked too."""

    def __init__(self, stream: TextIO, *, mask_phones: bool = False) -> None:
        self._writer = csv.writer(stream)
        self.mask_phones = mask_phones

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(v, mask_phones=self.mask_phones) for v in values])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
