"""The Summary and Indicators sheets: scores per service, answer counts per indicator."""

from __future__ import annotations

from collections.abc import Mapping

from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter

from cati_app.core.clock import to_thimphu
from cati_app.core.questionnaire import PARAMETERS, Item
from cati_app.reports import styles
from cati_app.reports.records import ExportData
from cati_app.reports.scoring import ANSWER_CODES, ServiceTally

ALL = "All selected"
SCORES_NOTE = ("Scores use each primary complete or partial interview (the version exports use "
               "until a supervisor decides otherwise). An indicator answered Don't know or "
               "Refused is missing; a parameter score is the mean of its answered indicators; "
               "the composite is the mean, over interviews, of each interview's own composite (the "
               "mean of its parameter scores, weighted by the questionnaire's parameter weights, "
               "equal unless the questionnaire sets them), not the composite of the parameter "
               "means beside it; 0-100 = (score - 1) / 4 x 100. "
               "% satisfied = answers 4 or 5 among the 1-5 answers of that indicator. A score "
               "or share without any answer to count is an empty cell.")
DATES_NOTE = ("Cases are selected by the date the respondent availed the service; stale "
              "answers to questions later skipped are not counted.")
ANSWER_TITLES = ("1 Very poor", "2 Poor", "3 Fair", "4 Good", "5 Very good", "Don't know",
                 "Refused", "No answer")
INDICATOR_TITLES = ("Service", "Parameter", "Indicator", "Question", *ANSWER_TITLES, "Total",
                    "% satisfied")


def tallies_in_order(data: ExportData, tallies: dict[str, ServiceTally]
                     ) -> list[tuple[str, str, ServiceTally]]:
    """(code, name, tally) for each selected service, then all of them together."""
    rows = [(s.code, s.name, tallies.get(s.code, ServiceTally())) for s in data.services]
    return [*rows, (ALL, "", tallies.get(ALL, ServiceTally()))]


def write_summary(ws: styles.TextSafeSheet, data: ExportData, tallies: dict[str, ServiceTally],
                  indicators: list[Item], e_note: str) -> None:
    readme = [("Filters", data.filters.describe()),
              ("Generated at", to_thimphu(data.generated_at).strftime("%Y-%m-%d %H:%M")
               + " (Asia/Thimphu)"),
              ("Scores", SCORES_NOTE), ("Response rates", e_note), ("Dates", DATES_NOTE),
              *(("Note", note) for note in data.notes)]
    header_row = len(readme) + 3
    styles.prepare(ws, [16, 30, 12, 12] + [13] * (len(PARAMETERS) + 2)
                   + [26] * len(indicators), f"C{header_row + 1}")
    ws.layout.row_dimensions[header_row].height = 80  # the indicators' questions, in words
    ws.append([styles.cell(ws, "ServE CATI - service evaluation summary",
                           font=styles.TITLE_FONT)])
    for label, text in readme:
        ws.append([styles.cell(ws, label, font=styles.LABEL_FONT), text])
    ws.append([])
    ws.append(styles.header(ws, [
        "Service", "Service name", "Completed interviews", "Partial interviews",
        *(p.title() for p in PARAMETERS), "Composite (1-5)", "Composite (0-100)",
        *(_satisfied_title(i) for i in indicators)],
        {_satisfied_title(i): f"indicator {i.name}" for i in indicators}))
    formats = ([None, None, styles.INTEGER, styles.INTEGER]
               + [styles.SCORE] * (len(PARAMETERS) + 1) + ["0.0"] + [styles.PERCENT]
               * len(indicators))
    rows = tallies_in_order(data, tallies)
    for code, name, tally in rows:
        composite = tally.composite.value
        values = [code, name, tally.completes, tally.partials,
                  *(tally.parameters[p].value for p in PARAMETERS), composite,
                  None if composite is None else (composite - 1) / 4 * 100,
                  *(tally.satisfied(i.name) for i in indicators)]
        ws.append(styles.formatted(ws, values, formats,
                                   styles.TOTAL_FONT if code == ALL else None))
    last_row = header_row + len(rows)
    styles.add_filter(ws, header_row, len(formats), last_row)
    _parameter_chart(ws, header_row, last_row)


OfficeKey = tuple[str, str, str]  # service code, dzongkhag, office


def write_offices(ws: styles.TextSafeSheet, offices: dict[OfficeKey, ServiceTally]) -> None:
    """The scores per office of each service: where an agency's service is done well, and
    where it is not. Offices in order of service, dzongkhag and name."""
    titles = ["Service", "Dzongkhag", "Office", "Completed interviews", "Partial interviews",
              *(p.title() for p in PARAMETERS), "Composite (1-5)"]
    styles.prepare(ws, [10, 16, 34, 12, 12] + [13] * (len(PARAMETERS) + 1), "D2")
    styles.tall_header(ws, 1)
    ws.append(styles.header(ws, titles))
    formats = ([None, None, None, styles.INTEGER, styles.INTEGER]
               + [styles.SCORE] * (len(PARAMETERS) + 1))
    for (service, dzongkhag, office), tally in sorted(offices.items()):
        ws.append(styles.formatted(ws, [
            service, dzongkhag, office, tally.completes, tally.partials,
            *(tally.parameters[p].value for p in PARAMETERS), tally.composite.value], formats))
    styles.add_filter(ws, 1, len(titles), len(offices) + 1)


def _satisfied_title(item: Item) -> str:
    words = item.label.get("en") or item.name
    return f"% satisfied: {words}"


def _parameter_chart(ws: styles.TextSafeSheet, header_row: int, last_row: int) -> None:
    chart = BarChart()
    chart.type, chart.grouping = "col", "clustered"
    chart.title = "Mean score per parameter (1-5)"
    chart.y_axis.title, chart.y_axis.scaling.min, chart.y_axis.scaling.max = "Score", 1, 5
    first_param, last_param = 5, 4 + len(PARAMETERS) + 1  # parameters and the composite
    chart.add_data(Reference(ws.sheet, min_col=first_param, max_col=last_param, min_row=header_row,
                             max_row=last_row), titles_from_data=True)
    chart.set_categories(Reference(ws.sheet, min_col=1, min_row=header_row + 1, max_row=last_row))
    chart.height, chart.width = 9, 22
    chart.x_axis.delete = chart.y_axis.delete = False
    ws.add_chart(chart, f"B{last_row + 3}")


def write_indicators(ws: styles.TextSafeSheet, data: ExportData,
                     tallies: dict[str, ServiceTally], indicators: list[Item]) -> None:
    styles.prepare(ws, [14, 14, 16, 60] + [11] * (len(ANSWER_TITLES) + 1) + [12], "E2")
    styles.tall_header(ws, 1)
    titles = INDICATOR_TITLES
    ws.append(styles.header(ws, titles))
    formats = [None] * 4 + [styles.INTEGER] * (len(ANSWER_TITLES) + 1) + [styles.PERCENT]
    written = 1
    *per_service, everything = tallies_in_order(data, tallies)
    for code, _name, tally in [everything, *per_service]:  # all services first, for the chart
        for item in indicators:
            counts: Mapping[str, int] = tally.indicators.get(item.name, {})
            numbers = [counts.get(c, 0) for c in ANSWER_CODES]
            question = item.label.get("en", "")
            ws.append(styles.formatted(ws, [code, (item.parameter or "").title(), item.name,
                                            question, *numbers, sum(numbers),
                                            tally.satisfied(item.name)], formats))
            written += 1
    styles.add_filter(ws, 1, len(titles), written)
    _answers_chart(ws, len(indicators))


def _answers_chart(ws: styles.TextSafeSheet, indicator_rows: int) -> None:
    """Stacked bars of the answers to each indicator, all selected services together."""
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "bar", "percentStacked", 100
    chart.title = "Answers per indicator (all selected services)"
    chart.add_data(Reference(ws.sheet, min_col=5, max_col=4 + len(ANSWER_TITLES) - 1, min_row=1,
                             max_row=1 + indicator_rows), titles_from_data=True)
    chart.set_categories(Reference(ws.sheet, min_col=3, min_row=2, max_row=1 + indicator_rows))
    chart.x_axis.scaling.orientation = "maxMin"  # first indicator on top, as in the table
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.height, chart.width = 12, 24
    ws.add_chart(chart, f"{get_column_letter(len(INDICATOR_TITLES) + 2)}2")
