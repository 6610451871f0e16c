"""The raw data as CSV (UTF-8 with a byte-order mark so Excel shows Dzongkha correctly).

Rows go through the project's one CSV row writer (``core.safe_csv``): text cells are cleaned,
never formulas, and without personal data phone numbers in text are masked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from cati_app.core.questionnaire import Questionnaire
from cati_app.core.safe_csv import SafeCsvWriter
from cati_app.reports.raw import RawTable
from cati_app.reports.records import InterviewRecord


def write_raw_csv(path: Path, questionnaires: Mapping[tuple[str, int], Questionnaire],
                  interviews: Iterable[InterviewRecord], *, include_pii: bool) -> int:
    """Write one row per interview; returns the number of rows written."""
    table = RawTable(questionnaires, include_pii)
    written = 0
    with path.open("w", newline="", encoding="utf-8-sig") as file:
        writer = SafeCsvWriter(file, mask_phones=not include_pii)
        writer.writerow(table.header)
        for _interview, row in table.rows(iter(interviews)):
            writer.writerow([_text(value) for value in row])
            written += 1
    return written


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return value
