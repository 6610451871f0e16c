"""The Response rates, Enumerators, Feedback, Complaints and Call history sheets."""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.chart import BarChart, Reference

from cati_app.core.clock import to_thimphu
from cati_app.core.rates import COUNT_KEYS, RATE_FORMULAS
from cati_app.reports import styles
from cati_app.reports.raw import thimphu_naive
from cati_app.reports.records import (
    RATE_NAMES,
    AttemptRecord,
    EnumeratorRecord,
    InterviewRecord,
    RatesRecord,
)
from cati_app.reports.xlsx_stream import StreamedRows

ENUMERATOR_NOTE = ("Hours working = the sum over the enumerator's attempts of (ended - "
                   "started), calls and interviews alike; completes per hour = primary complete "
                   "interviews / hours working; interview length = ended - started of those "
                   "interviews. An empty cell cannot be computed: no hours, or no complete "
                   "interview.")
RATES_NOT_COMPUTABLE = ("An empty rate (or e) cannot be computed: its denominator is zero, or "
                        "e has no case of known eligibility to be estimated from.")


#: the AAPOR buckets in words for the headers; the code stays in each header's note
COUNT_WORDS = {"I": "Complete (I)", "P": "Partial (P)", "R": "Refusal (R)",
               "NC": "Non-contact (NC)", "O": "Other (O)", "UH": "Unknown household (UH)",
               "UR": "Unknown, other (UR)", "UO": "Unknown other (UO)",
               "NE": "Not eligible (NE)"}
RATE_WORDS = {"RR": "Response rate", "COOP": "Cooperation rate", "REF": "Refusal rate",
              "CON": "Contact rate"}


def _rate_title(name: str) -> str:
    stem = name.rstrip("0123456789")
    return f"{RATE_WORDS.get(stem, stem)} ({name})"


def write_rates(ws: styles.TextSafeSheet, rates: list[RatesRecord]) -> None:
    counts_titles = [COUNT_WORDS.get(k, k) for k in COUNT_KEYS]
    rate_titles = [_rate_title(name) for name in RATE_NAMES]
    titles = ["Service", *counts_titles, "Cases", "e", "e estimated as", *rate_titles]
    header_notes = {
        title: f"AAPOR {code}: {RATE_FORMULAS.get(code, 'cases counted in this bucket')}"
        for title, code in zip([*counts_titles, *rate_titles], [*COUNT_KEYS, *RATE_NAMES],
                               strict=True)}
    styles.prepare(ws, [16] + [11] * (len(COUNT_KEYS) + 1) + [8, 34] + [13] * len(RATE_NAMES),
                   "B2")
    ws.layout.row_dimensions[1].height = 46  # three lines of header words
    ws.append(styles.header(ws, titles, header_notes))
    formats = ([None] + [styles.INTEGER] * (len(COUNT_KEYS) + 1) + [styles.RATE, None]
               + [styles.PERCENT] * len(RATE_NAMES))
    for record in rates:
        counts = [record.counts.get(k, 0) for k in COUNT_KEYS]
        values = [record.label, *counts, sum(counts), record.e, record.e_method,
                  *(record.rates.get(name) for name in RATE_NAMES)]
        ws.append(styles.formatted(ws, values, formats,
                                   styles.TOTAL_FONT if record is rates[-1] else None))
    styles.add_filter(ws, 1, len(titles), len(rates) + 1)
    ws.append([])
    notes = [*dict.fromkeys(r.note for r in rates if r.note), RATES_NOT_COMPUTABLE,
             "U = UH + UR + UO (AAPOR Standard Definitions, 10th edition)."]
    notes += [f"{name} = {RATE_FORMULAS[name]}" for name in RATE_NAMES]
    for note in notes:
        ws.append([note])


def write_enumerators(ws: styles.TextSafeSheet, enumerators: list[EnumeratorRecord]) -> None:
    titles = ["Enumerator", "Name", "Attempts", "Completes", "Hours working",
              "Completes per hour", "Mean interview length (min)"]
    styles.prepare(ws, [16, 24, 11, 11, 11, 12, 14], "B2")
    styles.tall_header(ws, 1)
    ws.append(styles.header(ws, titles))
    formats = [None, None, styles.INTEGER, styles.INTEGER, styles.SCORE, styles.SCORE,
               "0.0"]
    for e in enumerators:
        ws.append(styles.formatted(ws, [e.username, e.full_name, e.attempts, e.completes,
                                        e.hours_working, e.completes_per_hour,
                                        e.mean_interview_minutes], formats))
    last_row = len(enumerators) + 1
    styles.add_filter(ws, 1, len(titles), last_row)
    ws.append([])
    ws.append([ENUMERATOR_NOTE])
    if enumerators:
        chart = BarChart()
        chart.title, chart.type = "Attempts and completes per enumerator", "col"
        chart.add_data(Reference(ws.sheet, min_col=3, max_col=4, min_row=1, max_row=last_row),
                       titles_from_data=True)
        chart.set_categories(Reference(ws.sheet, min_col=1, min_row=2, max_row=last_row))
        chart.x_axis.delete = chart.y_axis.delete = False
        chart.height, chart.width = 9, 18
        ws.add_chart(chart, "I2")


OPEN_TEXT_TITLES = ("Case ID", "Service", "Office", "Dzongkhag", "Date")


class OpenTextSheet:
    """Feedback or Complaints: one row per non-blank text, written as interviews stream by,
    with the office and dzongkhag so the agency knows where to act on it."""

    def __init__(self, ws: styles.TextSafeSheet, text_title: str) -> None:
        styles.prepare(ws, [10, 12, 30, 14, 12, 90], "A2")
        ws.append(styles.header(ws, [*OPEN_TEXT_TITLES, text_title]))
        self.ws = ws
        self.stream = styles.streamed(ws, column_styles=[
            None, None, styles.wrapped(ws), None, styles.wrapped(ws), styles.wrapped(ws)])

    @property
    def rows(self) -> int:
        return self.stream.rows

    def add(self, record: InterviewRecord, text: str) -> None:
        self.stream.append([record.case_id, record.service_code, record.office,
                            record.dzongkhag, to_thimphu(record.started_at).date(), text])

    def close(self) -> None:
        styles.add_filter(self.ws, 1, len(OPEN_TEXT_TITLES) + 1, self.rows + 1)


CALL_TITLES = ("Case ID", "Service", "Enumerator", "Time (Thimphu)",
               "Phone used (1 = first)", "Outcome", "AAPOR code", "Stale")


def write_attempts(ws: styles.TextSafeSheet, attempts: Iterable[AttemptRecord],
                   include_pii: bool) -> StreamedRows:
    """The Call history; its rows are streamed (``xlsx_stream``): give the result to
    ``xlsx_stream.splice`` once the workbook is saved."""
    titles = [*CALL_TITLES, *(("Note",) if include_pii else ())]
    styles.prepare(ws, [10, 10, 14, 18, 10, 20, 10, 8, 50][:len(titles)], "B2")
    ws.append(styles.header(ws, titles))
    stream = styles.streamed(ws)
    try:
        for a in attempts:
            row = [a.case_id, a.service_code, a.enumerator, thimphu_naive(a.started_at),
                   a.phone_index + 1, a.outcome, a.aapor_code, "yes" if a.stale else "no"]
            if include_pii:
                row.append(a.note or None)
            stream.append(row)
    except BaseException:
        stream.discard()
        raise
    styles.add_filter(ws, 1, len(titles), stream.rows + 1)
    return stream
