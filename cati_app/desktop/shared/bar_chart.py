"""A small horizontal bar chart drawn with QPainter (the Essentials wheel has no QtCharts, and
a dashboard needs only bars with labels and values).

Bars may be stacked: each bar is a label and one value per series, each series with its own
colour and a legend entry. Feed it plain numbers with ``set_data``; it repaints itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

PALETTE = ("#2f6fb3", "#e0a030", "#3a9a5b", "#c0504d", "#7f60a8", "#888888")
BAR_HEIGHT = 18
GAP = 6
MARGIN = 8


@dataclass(frozen=True)
class Bar:
    label: str
    values: tuple[float, ...]
    # shown at the end of the bar; the sum of the values when empty
    caption: str = ""


class BarChart(QWidget):
    def __init__(self, title: str, series: Sequence[str], parent: QWidget | None = None,
                 *, maximum: float | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.series = list(series)
        # a fixed scale (a score out of 5); None scales to the longest bar
        self.maximum = maximum
        self.bars: list[Bar] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_data(self, bars: Sequence[Bar]) -> None:
        self.bars = list(bars)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        rows = max(1, len(self.bars))
        return QSize(360, 3 * MARGIN + 2 * self._line() + rows * (BAR_HEIGHT + GAP))

    def minimumSizeHint(self) -> QSize:
        return QSize(200, self.sizeHint().height())

    def _line(self) -> int:
        return QFontMetrics(self.font()).height()

    def _scale(self) -> float:
        if self.maximum is not None:
            return self.maximum
        return max((sum(bar.values) for bar in self.bars), default=0.0) or 1.0

    # --- painting --------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            # bars are axis-aligned rectangles: without antialiasing their edges land on
            # whole device pixels and stay sharp at any screen scale (issue 7)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            painter.setPen(self.palette().text().color())
            painter.fillRect(self.rect(), self.palette().base())
            self._paint_title_and_legend(painter)
            self._paint_bars(painter)
        finally:
            painter.end()

    def _paint_title_and_legend(self, painter: QPainter) -> None:
        metrics = QFontMetrics(self.font())
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(MARGIN, MARGIN + metrics.ascent(), self.title)
        font.setBold(False)
        painter.setFont(font)
        if len(self.series) < 2:
            return
        x = MARGIN
        y = MARGIN + self._line() + 4
        for index, name in enumerate(self.series):
            painter.fillRect(QRectF(x, y + 2, 10, 10), QColor(PALETTE[index % len(PALETTE)]))
            painter.drawText(x + 14, y + metrics.ascent(), name)
            x += 14 + metrics.horizontalAdvance(name) + 12

    def _paint_bars(self, painter: QPainter) -> None:
        metrics = QFontMetrics(self.font())
        top = 2 * MARGIN + 2 * self._line()
        if not self.bars:
            painter.drawText(MARGIN, top + metrics.ascent(), self.tr("nothing to show yet"))
            return
        label_width = min(max(metrics.horizontalAdvance(b.label) for b in self.bars) + MARGIN,
                          self.width() // 3)
        caption_width = max(metrics.horizontalAdvance(self._caption(b)) for b in self.bars) + 8
        room = max(10, self.width() - label_width - caption_width - 2 * MARGIN)
        scale = self._scale()
        for row, bar in enumerate(self.bars):
            y = top + row * (BAR_HEIGHT + GAP)
            label = metrics.elidedText(bar.label, Qt.TextElideMode.ElideRight,
                                       label_width - MARGIN)
            text_y = y + (BAR_HEIGHT + metrics.ascent() - metrics.descent()) / 2
            painter.setPen(self.palette().text().color())
            painter.drawText(MARGIN, int(text_y), label)
            x = float(MARGIN + label_width)
            for index, value in enumerate(bar.values):
                width = room * max(0.0, value) / scale
                painter.fillRect(QRectF(x, y, width, BAR_HEIGHT),
                                 QColor(PALETTE[index % len(PALETTE)]))
                x += width
            painter.drawText(int(x) + 4, int(text_y), self._caption(bar))

    @staticmethod
    def _caption(bar: Bar) -> str:
        if bar.caption:
            return bar.caption
        total = sum(bar.values)
        return f"{total:,.0f}" if float(total).is_integer() else f"{total:,.2f}"
