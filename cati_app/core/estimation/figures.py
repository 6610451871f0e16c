"""The figures of one reporting cell from its respondents: n, the composite (1–5 and 0–100),
each parameter and indicator, and the share satisfied, each with its 95% interval and its
publication status (small cells: indicative below the minimum n, suppressed below 10)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cati_app.core.estimation.design import Respondent
from cati_app.core.estimation.intervals import Interval, mean_interval, proportion_interval
from cati_app.core.protocol_scorecard import Estimate, FigureStatus, Method

MINIMUM_N = 30
SUPPRESS_BELOW = 10


@dataclass(frozen=True, slots=True)
class Rules:
    #: below this many respondents a figure is "indicative"
    minimum_n: int = MINIMUM_N
    #: below this many it is suppressed: no value and no interval leave the server
    suppress_below: int = SUPPRESS_BELOW

    def status(self, n: int) -> FigureStatus:
        if n < self.suppress_below:
            return "suppressed"
        return "indicative" if n < self.minimum_n else "published"


@dataclass(frozen=True, slots=True)
class Figures:
    method: Method
    n: int
    composite: Estimate
    composite_100: Estimate
    parameters: dict[str, Estimate]
    indicators: dict[str, Estimate]
    satisfied: Estimate
    #: the composite's interval (with its standard error) for comparisons; None if suppressed
    composite_interval: Interval | None


class Design:
    """Weights and strata of a group of respondents, chosen once for all of its figures:
    weighted when every respondent has a weight, otherwise unweighted (simple random
    sampling) — a group is never half weighted."""

    def __init__(self, respondents: Sequence[Respondent]) -> None:
        self.respondents = respondents
        weighted = bool(respondents) and all(r.weight is not None for r in respondents)
        self.method: Method = "weighted" if weighted else "unweighted"
        self.weights = [float(r.weight or 0) for r in respondents] if weighted else None
        self.strata = [r.stratum or "" for r in respondents] if weighted else None

    def mean(self, value: Callable[[Respondent], float | None]) -> Interval | None:
        return mean_interval([value(r) for r in self.respondents], self.weights, self.strata)

    def share(self, flag: Callable[[Respondent], bool | None]) -> Interval | None:
        return proportion_interval([flag(r) for r in self.respondents], self.weights,
                                   self.strata)


def figures(respondents: Sequence[Respondent], parameters: Sequence[str],
            indicators: Sequence[str], rules: Rules) -> Figures:
    design = Design(respondents)
    composite, composite_interval = _figure(design, _composite, rules)
    return Figures(
        method=design.method, n=len(respondents), composite=composite,
        composite_100=to_100(composite),
        parameters={p: _figure(design, _parameter(p), rules)[0] for p in parameters},
        indicators={i: _figure(design, _indicator(i), rules)[0] for i in indicators},
        satisfied=_figure(design, _satisfied, rules, share=True)[0],
        composite_interval=composite_interval)


def _figure(design: Design, value: Callable[[Respondent], float | bool | None], rules: Rules,
            *, share: bool = False) -> tuple[Estimate, Interval | None]:
    """One figure: its n counts the respondents with a value; suppressed figures are not
    even estimated, so nothing about them can leak."""
    n = sum(value(r) is not None for r in design.respondents)
    status = rules.status(n)
    found = None
    if status != "suppressed":
        found = design.share(value) if share else design.mean(value)  # type: ignore[arg-type]
    if found is None:  # suppressed, or too few for a variance (suppress_below < 2)
        return Estimate(value=None, low=None, high=None, n=n, status="suppressed"), None
    return Estimate(value=found.value, low=found.low, high=found.high, n=n,
                    status=status), found


def _composite(r: Respondent) -> float | None:
    return r.composite


def _satisfied(r: Respondent) -> bool | None:
    return r.satisfied


def _parameter(parameter: str) -> Callable[[Respondent], float | None]:
    return lambda r: r.parameters.get(parameter)


def _indicator(name: str) -> Callable[[Respondent], float | None]:
    def value(r: Respondent) -> float | None:
        answer = r.indicators.get(name)
        return None if answer is None else float(answer)
    return value


def to_100(estimate: Estimate) -> Estimate:
    """The 1–5 estimate on the 0–100 scale, (x − 1) × 25: a straight line, so the interval's
    ends map to the interval's ends."""

    def scaled(x: float | None) -> float | None:
        return None if x is None else (x - 1) * 25

    return Estimate(value=scaled(estimate.value), low=scaled(estimate.low),
                    high=scaled(estimate.high), n=estimate.n, status=estimate.status)

