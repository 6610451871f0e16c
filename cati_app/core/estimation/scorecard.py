"""A scorecard from respondent rows: the cells (service, and each office, per period), the
comparisons between them, and the flags left standing after Benjamini–Hochberg. Pure: the
server gathers the rows, this decides every figure."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cati_app.core.estimation import periods as period_labels
from cati_app.core.estimation.compare import FDR, Comparison, benjamini_hochberg, compare
from cati_app.core.estimation.design import Respondent
from cati_app.core.estimation.figures import Design, Figures, Rules, figures
from cati_app.core.estimation.intervals import Interval
from cati_app.core.estimation.methodology import methodology
from cati_app.core.protocol_scorecard import (
    Cell,
    ComplaintSummary,
    Flag,
    FlagKind,
    PeriodKind,
    Scorecard,
)

PEERS = "same service, other offices"


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    code: str
    name: str
    agency: str
    parameters: tuple[str, ...]
    indicators: tuple[str, ...]
    #: relative parameter weights of its questionnaire's composite
    weights: Mapping[str, float] = field(default_factory=dict)


#: (service code, office ('' for the whole service), period)
CellKey = tuple[str, str, str]


def build(respondents: Sequence[Respondent], services: Sequence[ServiceInfo], *,
          kind: PeriodKind, periods: Sequence[str], rules: Rules, generated_at: datetime,
          agency: str | None,
          complaints: Mapping[CellKey, ComplaintSummary] | None = None,
          fdr: float = FDR) -> Scorecard:
    """``periods`` oldest first; respondents outside them are left out. ``complaints`` by
    (service code, office ('' for the service), period) is attached to the matching cells;
    an office with complaints but no interviews still gets its cells (n = 0, suppressed),
    so its complaint figures are shown."""
    counted = complaints is not None
    complaints = complaints or {}
    groups = _grouped(respondents, kind, set(periods))
    cells: dict[CellKey, Cell] = {}
    intervals: dict[CellKey, Interval] = {}
    comparisons: list[Comparison[tuple[CellKey, FlagKind, str]]] = []
    for service in services:
        offices = _offices(groups, service.code)
        for code, office, _period in complaints:
            if code == service.code and office:
                offices.setdefault(office, "")
        offices = dict(sorted(offices.items()))
        for period in periods:
            whole = groups.get((service.code, "", period), [])
            for office, dzongkhag in [("", ""), *offices.items()]:
                key = (service.code, office, period)
                found = figures(groups.get(key, []), service.parameters, service.indicators,
                                rules)
                cells[key] = _cell(service, office, dzongkhag, period, kind, found,
                                   complaints.get(key))
                if found.composite_interval is not None:
                    intervals[key] = found.composite_interval
                    if office:
                        comparisons += _against_peers(key, found.composite_interval,
                                                      whole, office, rules)
    comparisons += _against_previous(intervals, periods)
    for tested in benjamini_hochberg(comparisons, fdr):
        if tested.significant:
            key, flag_kind, compared_with = tested.comparison.key
            cells[key].flags.append(Flag(
                kind=flag_kind, difference=tested.comparison.difference,
                q_value=tested.q_value, compared_with=compared_with))
    weights, note = _weights(services)
    return Scorecard(generated_at=generated_at, agency=agency, period_kind=kind,
                     periods=list(periods), cells=list(cells.values()),
                     methodology=methodology(rules, weights, fdr, note,
                                             with_complaints=counted))


def _grouped(respondents: Sequence[Respondent], kind: PeriodKind,
             shown: set[str]) -> dict[CellKey, list[Respondent]]:
    """Respondents by cell: each one in its office's cell and its service's (office '')."""
    groups: dict[CellKey, list[Respondent]] = defaultdict(list)
    for r in respondents:
        period = period_labels.period_of(r.day, kind)
        if period in shown:
            groups[(r.service_code, "", period)].append(r)
            if r.office:  # a case without an office counts for its service only
                groups[(r.service_code, r.office, period)].append(r)
    return groups


def _offices(groups: Mapping[CellKey, list[Respondent]], service: str) -> dict[str, str]:
    """The service's offices (sorted) with each one's dzongkhag (its respondents' commonest)."""
    places: dict[str, Counter[str]] = defaultdict(Counter)
    for (code, office, _period), rows in groups.items():
        if code == service and office:
            places[office].update(r.dzongkhag for r in rows)
    return {office: places[office].most_common(1)[0][0] for office in sorted(places)}


def _cell(service: ServiceInfo, office: str, dzongkhag: str, period: str, kind: PeriodKind,
          found: Figures, complaints: ComplaintSummary | None) -> Cell:
    return Cell(agency=service.agency, service_code=service.code, service_name=service.name,
                office=office, dzongkhag=dzongkhag, period=period, period_kind=kind,
                method=found.method, n=found.n, composite=found.composite,
                composite_100=found.composite_100, parameters=found.parameters,
                indicators=found.indicators, satisfied=found.satisfied, flags=[],
                complaints=complaints)


def _against_peers(key: CellKey, interval: Interval, whole: Sequence[Respondent], office: str,
                   rules: Rules) -> list[Comparison[tuple[CellKey, FlagKind, str]]]:
    """The office against the same service's other offices pooled, in the same period."""
    peers = [r for r in whole if r.office != office]
    if rules.status(sum(r.composite is not None for r in peers)) == "suppressed":
        return []
    pooled = Design(peers).mean(lambda r: r.composite)
    if pooled is None:
        return []
    kind: FlagKind = "above_peers" if interval.value > pooled.value else "below_peers"
    found = compare((key, kind, PEERS), interval, pooled)
    return [found] if found is not None else []


def _against_previous(intervals: Mapping[CellKey, Interval], periods: Sequence[str]
                      ) -> list[Comparison[tuple[CellKey, FlagKind, str]]]:
    """Each cell against itself in the period before, when both are shown and estimated."""
    found = []
    for (service, office, period), interval in intervals.items():
        index = periods.index(period)
        if index == 0:
            continue
        before = intervals.get((service, office, periods[index - 1]))
        if before is None:
            continue
        kind: FlagKind = "up_on_previous" if interval.value > before.value else "down_on_previous"
        tested = compare(((service, office, period), kind, periods[index - 1]), interval, before)
        if tested is not None:
            found.append(tested)
    return found


def _weights(services: Sequence[ServiceInfo]) -> tuple[dict[str, float], str]:
    """The parameter weights to print, and a note when the services' scripts differ."""
    if not services:
        return {}, ""
    distinct = {tuple(sorted(s.weights.items())) for s in services}
    first = dict(services[0].weights)
    if len(distinct) == 1:
        return first, ""
    listed = "; ".join(f"{s.code}: " + ", ".join(f"{p} {w:g}" for p, w in s.weights.items())
                       for s in services)
    return first, ("The services' questionnaires weigh the parameters differently "
                   f"(relative weights) — {listed}.")
