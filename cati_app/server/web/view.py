"""What the scorecard page shows, arranged from a ``Scorecard``: per service, its cells over the
periods (the trend), its offices in the latest period with data, and the geometry of the two
inline SVG charts. Plain data for the templates: no database, no HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field

from cati_app.core.protocol_scorecard import Cell, Estimate, Scorecard

#: the composite's scale (1 Very poor … 5 Very good)
LOW, HIGH = 1.0, 5.0


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    y_low: float
    y_high: float
    period: str
    estimate: Estimate


@dataclass(frozen=True)
class TrendChart:
    """A line through the service's composite per period with 95% interval whiskers; a
    suppressed period is a gap (no point), labelled on the axis."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    ticks: list[tuple[float, str]]
    periods: list[tuple[float, str]]
    points: list[Point]
    segments: list[str]


@dataclass(frozen=True)
class Bar:
    y: float
    x_value: float
    x_low: float
    x_high: float
    cell: Cell


@dataclass(frozen=True)
class OfficeChart:
    """One bar per office (latest period with data): the composite, its interval whisker."""

    width: int
    height: int
    left: int
    right: int
    row: int
    ticks: list[tuple[float, str]]
    bars: list[Bar]


@dataclass
class ServiceView:
    code: str
    name: str
    agency: str
    overall: list[Cell] = field(default_factory=list)
    offices: list[Cell] = field(default_factory=list)
    period: str = ""
    trend: TrendChart | None = None
    office_chart: OfficeChart | None = None

    @property
    def latest(self) -> Cell | None:
        return next((c for c in self.overall if c.period == self.period), None)


def arrange(scorecard: Scorecard) -> list[ServiceView]:
    services: dict[str, ServiceView] = {}
    for cell in scorecard.cells:
        view = services.setdefault(cell.service_code, ServiceView(
            cell.service_code, cell.service_name, cell.agency))
        (view.offices if cell.office else view.overall).append(cell)
    order = {p: i for i, p in enumerate(scorecard.periods)}
    for view in services.values():
        view.overall.sort(key=lambda c: order.get(c.period, -1))
        with_data = [c.period for c in view.overall] or [c.period for c in view.offices]
        view.period = max(with_data, key=lambda p: order.get(p, -1)) if with_data else ""
        view.offices = sorted((c for c in view.offices if c.period == view.period),
                              key=lambda c: c.office)
        view.trend = trend_chart(scorecard.periods, view.overall)
        view.office_chart = office_chart(view.offices)
    return sorted(services.values(), key=lambda v: (v.agency, v.code))


def _scale(value: float, lo: float, hi: float, a: float, b: float) -> float:
    return round(a + (value - lo) / (hi - lo) * (b - a), 1)


def _ticks(a: float, b: float) -> list[tuple[float, str]]:
    return [(_scale(v, LOW, HIGH, a, b), f"{v:g}") for v in (1.0, 2.0, 3.0, 4.0, 5.0)]


def trend_chart(periods: list[str], cells: list[Cell], width: int = 640,
                height: int = 260) -> TrendChart:
    left, right, top, bottom = 44, width - 48, 16, height - 40
    by_period = {c.period: c for c in cells}
    step = (right - left) / max(len(periods) - 1, 1)
    xs = [round(left + (i * step if len(periods) > 1 else (right - left) / 2), 1)
          for i in range(len(periods))]
    points: list[Point] = []
    segments: list[str] = []
    run: list[str] = []
    for x, period in zip(xs, periods, strict=True):
        estimate = by_period[period].composite if period in by_period else None
        if estimate is None or estimate.value is None:
            if len(run) > 1:
                segments.append(" ".join(run))
            run = []
            continue
        y = _scale(estimate.value, LOW, HIGH, bottom, top)
        points.append(Point(x, y, _scale(_clip(estimate.low, estimate.value), LOW, HIGH,
                                         bottom, top),
                            _scale(_clip(estimate.high, estimate.value), LOW, HIGH, bottom,
                                   top), period, estimate))
        run.append(f"{'M' if not run else 'L'}{x},{y}")
    if len(run) > 1:
        segments.append(" ".join(run))
    return TrendChart(width, height, left, right, top, bottom, _ticks(bottom, top),
                      list(zip(xs, periods, strict=True)), points, segments)


def office_chart(offices: list[Cell], width: int = 640, row: int = 44) -> OfficeChart:
    left, right = 16, width - 16
    shown = [c for c in offices if c.composite.value is not None]
    bars = []
    for i, cell in enumerate(shown):
        e = cell.composite
        assert e.value is not None
        bars.append(Bar(y=24 + i * row, x_value=_scale(e.value, LOW, HIGH, left, right),
                        x_low=_scale(_clip(e.low, e.value), LOW, HIGH, left, right),
                        x_high=_scale(_clip(e.high, e.value), LOW, HIGH, left, right),
                        cell=cell))
    return OfficeChart(width, 24 + row * max(len(shown), 1) + 24, left, right, row,
                       _ticks(left, right), bars)


def _clip(bound: float | None, value: float) -> float:
    """An interval end on the chart's scale (an interval may run past 1 or 5)."""
    return min(HIGH, max(LOW, value if bound is None else bound))
