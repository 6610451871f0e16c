"""A workbook that fails half-way leaves no temporary sheet files behind (issue 11)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl.worksheet import _writer

from cati_app.core.questionnaire import default_questionnaire
from cati_app.reports.records import ExportData, ExportFilters, InterviewRecord
from cati_app.reports.workbook import write_workbook


def _failing_stream() -> Iterator[InterviewRecord]:
    raise OSError("the database went away")
    yield  # pragma: no cover - makes this a generator


def _streamed_row_files() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("cati-rows-*.xml"))


def test_a_failed_workbook_removes_its_temporary_sheet_files(tmp_path: Path) -> None:
    script = default_questionnaire()
    data = ExportData(filters=ExportFilters(), generated_at=datetime(2026, 6, 1, tzinfo=UTC),
                      services=[], questionnaires={(script.id, script.version): script},
                      rates=[], enumerators=[], interviews=_failing_stream())
    before = set(_writer.ALL_TEMP_FILES)
    streamed_before = _streamed_row_files()
    with pytest.raises(OSError, match="went away"):
        write_workbook(tmp_path / "out.xlsx", data)
    left = [name for name in set(_writer.ALL_TEMP_FILES) - before if Path(name).exists()]
    assert left == []
    # the rows of the large sheets (xlsx_stream) had their own files: gone too
    assert _streamed_row_files() - streamed_before == set()
    assert not (tmp_path / "out.xlsx").exists()
