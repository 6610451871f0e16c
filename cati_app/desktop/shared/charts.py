"""The dashboard's charts, drawn by pyqtgraph (a charting library for Qt): horizontal bars
with labels (stacked when there are several series) and trend lines over days or weeks.

Both take plain numbers (``set_data``/``set_series``) and keep them (``bars``, ``series``) so
tests and the status line read what is shown, not pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pyqtgraph as pg
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

PALETTE = ("#2f6fb3", "#e0a030", "#3a9a5b", "#c0504d", "#7f60a8", "#888888")
BAR_HEIGHT = 0.7


@dataclass(frozen=True)
class Bar:
    label: str
    values: tuple[float, ...]
    #: shown at the end of the bar; the sum of the values when empty
    caption: str = ""


class _Chart(QWidget):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background=None)
        self.plot.setTitle(title)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        # one row across the top, above the bars and lines (the charts leave that row free)
        self.legend = self.plot.addLegend(offset=(40, 1), colCount=6)


class BarChart(_Chart):
    """Horizontal bars, one per label, stacked by series, with a caption at each bar's end."""

    def __init__(self, title: str, series: Sequence[str], *, maximum: float | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.series = list(series)
        self.maximum = maximum
        self.bars: list[Bar] = []
        self.plot.getAxis("bottom").setGrid(40)

    def set_data(self, bars: Sequence[Bar]) -> None:
        self.bars = list(bars)
        self.plot.clear()
        self.legend.clear()
        rows = list(reversed(self.bars))  # the first bar on top
        starts = [0.0] * len(rows)
        for index, name in enumerate(self.series):
            widths = [bar.values[index] if index < len(bar.values) else 0.0 for bar in rows]
            item = pg.BarGraphItem(x0=starts, y=list(range(len(rows))), height=BAR_HEIGHT,
                                   width=widths, brush=PALETTE[index % len(PALETTE)], pen=None)
            self.plot.addItem(item)
            if len(self.series) > 1:
                self.legend.addItem(item, name)
            starts = [s + w for s, w in zip(starts, widths, strict=True)]
        for row, (bar, end) in enumerate(zip(rows, starts, strict=True)):
            caption = bar.caption or f"{sum(bar.values):,.0f}"
            text = pg.TextItem(caption, anchor=(0, 0.5), color="#555555")
            text.setPos(end, row)
            self.plot.addItem(text)
        self.plot.getAxis("left").setTicks([[(row, bar.label) for row, bar in enumerate(rows)]])
        widest = max(starts, default=0.0)
        self.plot.setXRange(0, self.maximum or max(widest * 1.15, 1.0), padding=0)
        top = max(len(rows), 1) - 0.4 + (0.8 if len(self.series) > 1 else 0.0)  # the legend
        self.plot.setYRange(-0.6, top, padding=0)


class TrendChart(_Chart):
    """Lines over time: one per series, points on the days (or week starts) given."""

    def __init__(self, title: str, *, y_range: tuple[float, float] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.y_range = y_range
        self.days: list[date] = []
        self.series: dict[str, list[float | None]] = {}
        self.plot.showGrid(x=False, y=True, alpha=0.2)

    def set_series(self, days: Sequence[date], series: dict[str, list[float | None]]) -> None:
        self.days = list(days)
        self.series = {name: list(values) for name, values in series.items()}
        self.plot.clear()
        self.legend.clear()
        xs = list(range(len(self.days)))
        for index, (name, values) in enumerate(self.series.items()):
            # a gap where there is no value (no interviews that week), not a fall to zero
            points = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
            if not points:
                continue
            colour = PALETTE[index % len(PALETTE)]
            self.plot.plot([x for x, _ in points], [v for _, v in points], name=name,
                           pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                           symbolBrush=colour)
        step = max(1, len(xs) // 8)
        self.plot.getAxis("bottom").setTicks([[(x, f"{day:%d %b}")
                                               for x, day in list(enumerate(self.days))[::step]]])
        low, high = self.y_range or (0.0, max((v for values in self.series.values()
                                                for v in values if v is not None), default=1.0))
        self.plot.setYRange(low, high + (high - low) * 0.25, padding=0.02)  # the legend
