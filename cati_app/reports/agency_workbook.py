"""One workbook per agency (issue 16): its scorecard cells with their intervals, trends over
periods, the methodology in words, and its complaint tickets when there are any.

Fed plain data (``Scorecard`` and ``Ticket`` from core); nothing here names a respondent or
carries a phone number, and every text cell goes through the text-safe sheet with phone-like
digit runs masked, as in every export without personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from cati_app.core.clock import to_thimphu
from cati_app.core.protocol_scorecard import Cell, Estimate, Flag, Scorecard, Ticket
from cati_app.core.questionnaire import PARAMETERS
from cati_app.reports import styles

KIND_SHEETS = {"quarter": "Quarters", "fiscal_year": "Fiscal years", "month": "Months"}
ALL_OFFICES = "(all offices)"
FLAG_WORDS = {"above_peers": "above its peers", "below_peers": "below its peers",
              "up_on_previous": "up on", "down_on_previous": "down on"}
EMPTY_NOTE = ("An empty figure is suppressed (fewer respondents than the minimum for "
              "publication) or has no answers; 'indicative' figures rest on few respondents.")


def write_agency_workbook(path: Path, agency: str, scorecards: Sequence[Scorecard],
                          complaints: Sequence[Ticket] = ()) -> int:
    """Write the workbook; returns how many cells (rows of figures) it holds. ``complaints``:
    the agency's tickets (the Complaints sheet is left out when there are none)."""
    book = Workbook(write_only=True)

    def sheet(title: str) -> styles.TextSafeSheet:
        return styles.TextSafeSheet(book.create_sheet(title), mask_phones=True)

    _methodology(sheet("Methodology"), agency, scorecards)
    rows = 0
    for card in scorecards:
        rows += _cells(sheet(KIND_SHEETS[card.period_kind]), card)
    if scorecards:
        _trends(sheet("Trends"), scorecards[0])
        _indicators(sheet("Indicators"), scorecards[0])
    if complaints:
        _complaints(sheet("Complaints"), complaints)
    book.save(path)
    return rows


def _methodology(ws: styles.TextSafeSheet, agency: str, cards: Sequence[Scorecard]) -> None:
    styles.prepare(ws, [28, 120], None)
    ws.append([styles.cell(ws, f"Service scorecard: {agency}", font=styles.TITLE_FONT)])
    if not cards:
        ws.append(["No figures: this agency has no services."])
        return
    m = cards[0].methodology
    weights = ", ".join(f"{p} {w:.0%}" for p, w in m.parameter_weights.items())
    for label, text in (
            ("Generated", _thimphu(cards[0].generated_at)),
            ("Periods", "; ".join(f"{KIND_SHEETS[c.period_kind]}: {', '.join(c.periods)}"
                                  for c in cards)),
            ("Composite", m.composite_definition),
            ("Parameter weights", weights or "equal"),
            ("Weighting and intervals", m.weighting),
            ("Comparisons and flags", m.comparisons),
            *([("Complaints", m.complaints)] if m.complaints else []),
            ("Empty figures", EMPTY_NOTE)):
        ws.append([styles.cell(ws, label, font=styles.LABEL_FONT),
                   styles.cell(ws, text, wrap=True)])


def _parameters(card: Scorecard) -> list[str]:
    present = {p for cell in card.cells for p in cell.parameters}
    return [p for p in PARAMETERS if p in present]


def _cells(ws: styles.TextSafeSheet, card: Scorecard) -> int:
    parameters = _parameters(card)
    titles = ["Service code", "Service", "Office", "Dzongkhag", "Period", "Method",
              "Respondents (n)", "Status", "Composite (1–5)", "Low (95%)", "High (95%)",
              "Composite (0–100)", "Low", "High", "Satisfied", "Low", "High"]
    for p in parameters:
        titles += [p.capitalize(), "Low", "High"]
    titles += ["Flags", "Complaints", "Resolved", "Median days to resolve"]
    styles.prepare(ws, [10, 30, 34, 16, 11, 11, 10, 11] + [10] * (len(titles) - 12)
                   + [50, 10, 10, 12], "C2")
    styles.tall_header(ws, 1)
    ws.append(styles.header(ws, titles))
    for cell in card.cells:
        row: list[object] = [cell.service_code, cell.service_name,
                             cell.office or ALL_OFFICES, cell.dzongkhag, cell.period,
                             cell.method, cell.n, cell.composite.status]
        row += _figure(ws, cell.composite, styles.SCORE)
        row += _figure(ws, cell.composite_100, "0.0")
        row += _figure(ws, cell.satisfied, styles.PERCENT)
        for p in parameters:
            row += _figure(ws, cell.parameters.get(p), styles.SCORE)
        row += ["; ".join(_flag_text(f) for f in cell.flags), *_complaint_figures(ws, cell)]
        ws.append(row)
    styles.add_filter(ws, 1, len(titles), len(card.cells) + 1)
    return len(card.cells)


def _figure(ws: styles.TextSafeSheet, estimate: Estimate | None, fmt: str) -> list[object]:
    if estimate is None:
        return [None, None, None]
    return styles.formatted(ws, [estimate.value, estimate.low, estimate.high], [fmt] * 3)


def _flag_text(flag: Flag) -> str:
    words = FLAG_WORDS[flag.kind]
    against = "" if flag.kind.endswith("peers") else f" {flag.compared_with}"
    return f"{words}{against} by {flag.difference:+.2f} (q = {flag.q_value:.3f})"


def _complaint_figures(ws: styles.TextSafeSheet, cell: Cell) -> list[object]:
    c = cell.complaints
    if c is None:
        return [None, None, None]
    return styles.formatted(ws, [c.count, c.share_resolved, c.median_days_to_resolve],
                            [styles.INTEGER, styles.PERCENT, "0.0"])


def _trends(ws: styles.TextSafeSheet, card: Scorecard) -> None:
    """The composite of each service and office across the periods, side by side."""
    titles = ["Service code", "Office", *(f"{p} composite" for p in card.periods),
              *(f"{p} n" for p in card.periods)]
    styles.prepare(ws, [10, 34] + [12] * (len(titles) - 2), "C2")
    styles.tall_header(ws, 1)
    ws.append(styles.header(ws, titles))
    series: dict[tuple[str, str], dict[str, Cell]] = {}
    for cell in card.cells:
        series.setdefault((cell.service_code, cell.office), {})[cell.period] = cell
    for (code, office), by_period in series.items():
        found = [by_period.get(p) for p in card.periods]
        ws.append([code, office or ALL_OFFICES,
                   *styles.formatted(ws, [c.composite.value if c else None for c in found],
                                     [styles.SCORE] * len(found)),
                   *[c.n if c else 0 for c in found]])


def _indicators(ws: styles.TextSafeSheet, card: Scorecard) -> None:
    titles = ["Service code", "Office", "Period", "Indicator", "n", "Status", "Mean (1–5)",
              "Low (95%)", "High (95%)"]
    styles.prepare(ws, [10, 34, 11, 22, 8, 11, 10, 10, 10], "C2")
    ws.append(styles.header(ws, titles))
    for cell in card.cells:
        for name, estimate in cell.indicators.items():
            ws.append([cell.service_code, cell.office or ALL_OFFICES, cell.period, name,
                       estimate.n, estimate.status, *_figure(ws, estimate, styles.SCORE)])


def _complaints(ws: styles.TextSafeSheet, tickets: Sequence[Ticket]) -> None:
    titles = ["Ticket", "Service code", "Office", "Dzongkhag", "Reported on", "Channel",
              "Category", "Complaint (numbers masked)", "State", "Note", "Resolved at"]
    styles.prepare(ws, [8, 10, 30, 16, 12, 8, 16, 60, 12, 40, 16], "B2")
    ws.append(styles.header(ws, titles))
    for t in tickets:
        ws.append([t.id, t.service_code, t.office, t.dzongkhag,
                   styles.cell(ws, t.reported_on, styles.DATE), t.channel, t.category,
                   styles.cell(ws, t.text, wrap=True), t.state, t.note,
                   _thimphu(t.resolved_at) if t.resolved_at else None])


def _thimphu(when: datetime) -> str:
    return to_thimphu(when).strftime("%Y-%m-%d %H:%M") + " (Thimphu)"
