"""The analyst workbook (DESIGN.md §1, issue 5), written with openpyxl's write-only mode so
100,000 interviews stream through in bounded memory; the rows of the four large sheets go
through ``xlsx_stream`` (20 times faster than openpyxl cells, issue 14) and are spliced into the
saved workbook.

Sheets are created in reading order first; the streamed ones (Raw data, Feedback, Complaints,
Call history) are then filled as the records arrive, and the Summary, Indicators and
fieldwork sheets last, from the tallies the stream built. Write-only sheets each go to their
own temporary file, so the order in which they are filled does not matter.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from cati_app.core.questionnaire import Item, Questionnaire
from cati_app.reports import styles
from cati_app.reports.fieldwork_sheets import (
    OpenTextSheet,
    write_attempts,
    write_enumerators,
    write_rates,
)
from cati_app.reports.raw import RawTable
from cati_app.reports.records import ExportData
from cati_app.reports.sample_sheet import write_sample
from cati_app.reports.score_sheets import (
    ALL,
    OfficeKey,
    write_indicators,
    write_offices,
    write_summary,
)
from cati_app.reports.scoring import ServiceTally
from cati_app.reports.ticket_sheet import write_tickets
from cati_app.reports.xlsx_stream import StreamedRows, splice

SHEETS = ("Summary", "Offices", "Indicators", "Response rates", "Enumerators", "Sample",
          "Feedback", "Complaints", "Complaint tickets", "Raw data", "Call history")


@dataclass(frozen=True)
class WorkbookStats:
    interviews: int
    attempts: int
    feedback: int
    complaints: int


def write_workbook(path: Path, data: ExportData) -> WorkbookStats:
    book = Workbook(write_only=True)
    # every cell of every sheet goes through the one text-safe place (styles.safe_value, or
    # its twin in xlsx_stream for the streamed rows)
    mask_phones = not data.filters.include_pii
    sheets = {title: styles.TextSafeSheet(book.create_sheet(title), mask_phones=mask_phones)
              for title in SHEETS}
    streams: dict[str, StreamedRows] = {}
    try:
        stats = _write_sheets(book, path, data, sheets, streams)
        splice(path, streams)
        return stats
    except BaseException:
        _discard(book)
        raise
    finally:
        for stream in streams.values():
            stream.discard()


def _write_sheets(book: Workbook, path: Path, data: ExportData,
                  sheets: dict[str, styles.TextSafeSheet],
                  streams: dict[str, StreamedRows]) -> WorkbookStats:
    tallies: dict[str, ServiceTally] = {}
    offices: dict[OfficeKey, ServiceTally] = {}
    feedback = OpenTextSheet(sheets["Feedback"], "Feedback (open comment)")
    streams["Feedback"] = feedback.stream
    complaints = OpenTextSheet(sheets["Complaints"], "Complaint")
    streams["Complaints"] = complaints.stream
    raw = _raw_sheet(sheets["Raw data"], data)
    streams["Raw data"] = raw.stream
    interviews = _write_raw(raw, data, tallies, offices, feedback, complaints)
    feedback.close()
    complaints.close()
    streams["Call history"] = write_attempts(sheets["Call history"], data.attempts,
                                             data.filters.include_pii)
    indicators = indicator_items(data.questionnaires)
    write_summary(sheets["Summary"], data, tallies, indicators, _e_note(data))
    write_offices(sheets["Offices"], offices)
    write_indicators(sheets["Indicators"], data, tallies, indicators)
    write_rates(sheets["Response rates"], data.rates)
    write_enumerators(sheets["Enumerators"], data.enumerators)
    write_tickets(sheets["Complaint tickets"], data.tickets)
    write_sample(sheets["Sample"], data.draws)
    book.save(path)
    return WorkbookStats(interviews, streams["Call history"].rows, feedback.rows,
                         complaints.rows)


def _discard(book: Workbook) -> None:
    """A failed export leaves nothing behind: each write-only sheet streams into a temporary
    file of its own, which only a successful save would otherwise close and remove."""
    for ws in book.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is None:
            continue
        # rows first (they end their XML element), then the file; a half-written stream may
        # refuse either: the file is removed anyway
        rows = getattr(ws, "_rows", None)
        if rows is not None:
            with contextlib.suppress(Exception):
                rows.close()
        with contextlib.suppress(Exception):
            writer.close()
        Path(writer.out).unlink(missing_ok=True)


@dataclass
class _RawSheet:
    ws: styles.TextSafeSheet
    table: RawTable
    stream: StreamedRows


def _raw_sheet(ws: styles.TextSafeSheet, data: ExportData) -> _RawSheet:
    table = RawTable(data.questionnaires, data.filters.include_pii)
    styles.prepare(ws, table.widths(), "B2")
    styles.tall_header(ws, 1)
    ws.append(styles.header(ws, table.header, table.questions))
    return _RawSheet(ws, table, styles.streamed(ws))


def _write_raw(raw: _RawSheet, data: ExportData, tallies: dict[str, ServiceTally],
               offices: dict[OfficeKey, ServiceTally], feedback: OpenTextSheet,
               complaints: OpenTextSheet) -> int:
    for interview, row in raw.table.rows(iter(data.interviews)):
        raw.stream.append(row)
        record = interview.record
        tally = tallies.get(record.service_code)
        if tally is None:
            tally = tallies[record.service_code] = ServiceTally()
        tally.add(record.completion, interview.scorer, interview.effective, interview.scores)
        office = offices.setdefault((record.service_code, record.dzongkhag, record.office),
                                    ServiceTally())
        office.add(record.completion, interview.scorer, interview.effective, interview.scores)
        for sheet, role in ((feedback, "comment"), (complaints, "complaint_text")):
            text = interview.open_text(role)
            if text is not None:
                sheet.add(record, text)
    styles.add_filter(raw.ws, 1, len(raw.table.header), raw.stream.rows + 1)
    everything = ServiceTally()  # summed once at the end, not counted twice per interview
    for tally in tallies.values():
        everything.add_tally(tally)
    tallies[ALL] = everything
    return raw.stream.rows


def indicator_items(questionnaires: Mapping[tuple[str, int], Questionnaire]) -> list[Item]:
    """The indicators of every version in use, newest version's order first."""
    items: dict[str, Item] = {}
    for key in sorted(questionnaires, key=lambda k: (k[0], -k[1])):
        for item in questionnaires[key].indicators():
            items.setdefault(item.name, item)
    return list(items.values())


def _e_note(data: ExportData) -> str:
    methods = sorted({r.e_method for r in data.rates if r.e_method})
    how = "; ".join(methods) if methods else "not given"
    return (f"e (the share of cases of unknown eligibility taken to be eligible) is "
            f"estimated per row as the {how}. A rate with a zero denominator is an empty "
            f"cell.")
