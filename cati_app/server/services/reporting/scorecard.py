"""PROVISIONAL scorecards, so that the web scorecard (``/scorecard/``) and ``GET /v1/scorecard``
have data to show while the real estimator is built beside them (issue 16).

h16est replaces this module with the real ``build_scorecard`` (design weights, nonresponse
adjustment, survey-library variances, Benjamini–Hochberg flags) under the same path and
signature; at merge its version is kept and this one dropped. Until then the figures here are
deliberately simple: unweighted means of the stored interview scores per service × office ×
period, normal-approximation 95% intervals, statuses by n, and no flags. The pages and tests
built on it assert rendering and behaviour, never these statistics.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.core.clock import to_thimphu
from cati_app.core.protocol_scorecard import (
    Cell,
    Estimate,
    Methodology,
    PeriodKind,
    Scorecard,
)
from cati_app.core.questionnaire.model import PARAMETERS
from cati_app.server.models import Case, InterviewVersion, Service
from cati_app.server.settings import Settings

MINIMUM_N = 30
SUPPRESS_BELOW = 10
#: a respondent is "satisfied" when their composite is at least this (Good or Very good)
SATISFIED_FROM = 4.0
Z95 = 1.959964


def build_scorecard(session: Session, settings: Settings, *, now: datetime,
                    period_kind: PeriodKind = "quarter", agency: str | None = None,
                    service_code: str | None = None, periods: int = 4) -> Scorecard:
    """The cells of the last ``periods`` periods up to ``now`` (oldest first), for one agency
    (None: every agency) and optionally one service: each service as a whole (office '') and
    each of its offices."""
    wanted = _last_periods(to_thimphu(now).date(), period_kind, periods)
    groups: dict[tuple[str, str, str, str, str, str], list[Sequence[float | None]]] = (
        defaultdict(list))
    for row in _rows(session, agency, service_code):
        period = period_of(to_thimphu(row.started_at).date(), period_kind)
        if period not in wanted:
            continue
        scores = [getattr(row, f"score_{p}") for p in PARAMETERS] + [row.score_composite]
        for office, dzongkhag in (("", ""), (row.office, row.dzongkhag)):
            groups[(row.agency, row.code, row.name, office, dzongkhag, period)].append(scores)
    cells = [_cell(key, rows, period_kind) for key, rows in groups.items()]
    order = {p: i for i, p in enumerate(wanted)}
    cells.sort(key=lambda c: (c.agency, c.service_code, c.office != "", c.office,
                              order[c.period]))
    return Scorecard(generated_at=now, agency=agency, period_kind=period_kind,
                     periods=wanted, cells=cells, methodology=_methodology())


def _rows(session: Session, agency: str | None, service_code: str | None) -> Any:
    query = (select(Service.agency, Service.code, Service.name, Case.office, Case.dzongkhag,
                    InterviewVersion.started_at, InterviewVersion.score_composite,
                    *(getattr(InterviewVersion, f"score_{p}") for p in PARAMETERS))
             .select_from(InterviewVersion).join(Case, Case.id == InterviewVersion.case_id)
             .join(Service, Service.id == Case.service_id)
             .where(InterviewVersion.primary.is_(True),
                    InterviewVersion.completion == "complete",
                    InterviewVersion.score_composite.is_not(None)))
    if agency is not None:
        query = query.where(Service.agency == agency)
    if service_code is not None:
        query = query.where(Service.code == service_code)
    return session.execute(query)


def period_of(day: date, kind: PeriodKind) -> str:
    """'2026-11', '2026-Q4' or 'FY2026-27' (the Bhutanese fiscal year runs July to June)."""
    if kind == "month":
        return f"{day.year}-{day.month:02d}"
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    start = day.year if day.month >= 7 else day.year - 1
    return f"FY{start}-{(start + 1) % 100:02d}"


def _last_periods(today: date, kind: PeriodKind, count: int) -> list[str]:
    step = {"month": 1, "quarter": 3, "fiscal_year": 12}[kind]
    months = today.year * 12 + today.month - 1
    found: list[str] = []
    for back in range(count - 1, -1, -1):
        m = months - back * step
        found.append(period_of(date(m // 12, m % 12 + 1, 1), kind))
    return found


def _cell(key: tuple[str, str, str, str, str, str], rows: list[Sequence[float | None]],
          kind: PeriodKind) -> Cell:
    agency, code, name, office, dzongkhag, period = key
    composites = [float(v) for r in rows if (v := r[-1]) is not None]
    composite = _estimate(composites, 1.0, 5.0)
    scaled = _scaled(composite)
    parameters = {p: _estimate([float(v) for r in rows if (v := r[i]) is not None], 1.0, 5.0)
                  for i, p in enumerate(PARAMETERS)}
    satisfied = _estimate([1.0 if c >= SATISFIED_FROM else 0.0 for c in composites], 0.0, 1.0)
    return Cell(agency=agency, service_code=code, service_name=name, office=office,
                dzongkhag=dzongkhag, period=period, period_kind=kind, method="unweighted",
                n=len(composites), composite=composite, composite_100=scaled,
                parameters=parameters, satisfied=satisfied)


def _estimate(values: list[float], lowest: float, highest: float) -> Estimate:
    """The mean with a normal-approximation interval, kept within the scale's range."""
    n = len(values)
    if n < SUPPRESS_BELOW:
        return Estimate(value=None, low=None, high=None, n=n, status="suppressed")
    mean = sum(values) / n
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = Z95 * math.sqrt(variance / n)
    return Estimate(value=mean, low=max(lowest, mean - half), high=min(highest, mean + half),
                    n=n,
                    status="indicative" if n < MINIMUM_N else "published")


def _scaled(e: Estimate) -> Estimate:
    def to_100(x: float | None) -> float | None:
        return None if x is None else (x - 1) * 25

    return Estimate(value=to_100(e.value), low=to_100(e.low), high=to_100(e.high), n=e.n,
                    status=e.status)


def _methodology() -> Methodology:
    return Methodology(
        composite_definition="mean of each respondent's composite (the mean of their five "
                             "parameter scores)",
        parameter_weights={p: 1.0 for p in PARAMETERS}, minimum_n=MINIMUM_N,
        suppress_below=SUPPRESS_BELOW,
        weighting="unweighted (simple random sampling interval): provisional figures",
        comparisons="none yet: flags come with the final estimator")
