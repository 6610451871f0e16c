"""The queue panel: filter box, counts per group, the table; and the appointment reminders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QObject, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.desktop.display import DUE_GROUPS, QueueGroup, group_label, queue_group
from cati_app.desktop.enumerator.queue_model import CASE_ID_ROLE, QueueFilterProxy, QueueTableModel

if TYPE_CHECKING:
    from cati_app.client.store.views import QueueItem


# starting widths in pixels; the respondent column takes the rest
COLUMN_WIDTHS = {0: 80, 2: 185, 3: 62, 4: 130, 5: 122, 6: 55}
RESPONDENT_MIN = 140
#: on a narrow screen (1024×768) these give way first, so Next call and Priority stay in view:
#: the service and the call history are on the case card beside the queue anyway
GIVE_WAY = (2, 4, 3)


class QueuePanel(QWidget):
    case_selected = Signal(object)  # case_id or None

    def __init__(self, now: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QueueTableModel(now, self)
        self.proxy = QueueFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.filter = QLineEdit(
            placeholderText=self.tr("Filter by name, service, office (Ctrl+F)"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._on_filter)
        self.counts = QLabel(objectName="queueCounts")
        self.table = QTableView()
        self.table.setObjectName("queueTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.proxy.queue_order()  # setSortingEnabled sorted by column 0; keep the model's order
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        # fixed widths and row heights: sizing to contents would measure all 10,000 rows
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.counts)
        layout.addWidget(self.table, 1)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Hide the columns that give way (``GIVE_WAY``) while the table is too narrow for
        every column and a readable respondent name; show them again when there is room."""
        header = self.table.horizontalHeader()
        room = self.table.viewport().width() - RESPONDENT_MIN
        hidden = set()
        needed = sum(COLUMN_WIDTHS.values())
        for column in GIVE_WAY:
            if needed <= room:
                break
            hidden.add(column)
            needed -= COLUMN_WIDTHS[column]
        for column in GIVE_WAY:
            header.setSectionHidden(column, column in hidden)

    def set_cases(self, cases: Sequence[QueueItem]) -> None:
        self.model.set_cases(cases)
        self._show_counts()
        if not self.table.selectionModel().hasSelection() and self.proxy.rowCount():
            self.table.selectRow(0)

    def selected_case_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return int(rows[0].data(CASE_ID_ROLE)) if rows else None

    def select_case(self, case_id: int) -> bool:
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data(CASE_ID_ROLE) == case_id:
                self.table.selectRow(row)
                return True
        return False

    def select_next_due(self, now: datetime, *, excluding: int) -> int | None:
        """Select the first due case in queue order other than ``excluding`` (the one just
        worked on) and return its id; with none due, select nothing."""
        for row in range(self.model.rowCount()):  # the model's rows are in queue order
            case = self.model.case_at(row)
            if case.case_id != excluding and queue_group(case, now) in DUE_GROUPS \
                    and self.select_case(case.case_id):
                return case.case_id
        self.table.clearSelection()
        return None

    def _show_counts(self) -> None:
        counts = self.model.group_counts()
        due = sum(counts[g] for g in DUE_GROUPS)
        parts = [f"{counts[g]} {group_label(g).lower()}" for g in DUE_GROUPS if counts[g]]
        later = counts[QueueGroup.LATER]
        text = self.tr("<b>{count} due now</b>").format(count=due)
        text += f": {', '.join(parts)}" if parts else ""
        if later:
            text += " · " + self.tr("{count} later").format(count=later)
        self.counts.setText(text)

    def _on_filter(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        self._show_counts()

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self.case_selected.emit(self.selected_case_id())


class ReminderWatcher(QObject):
    """Checks every ``interval_s`` for appointments falling due soon; each one is announced
    once (per case and appointment time), not on every tick."""

    reminder = Signal(object)  # QueueItem

    def __init__(self, due_soon: Callable[[], Sequence[QueueItem]], interval_s: int,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._due_soon = due_soon
        self._announced: set[tuple[int, datetime]] = set()
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, interval_s) * 1000)
        self.timer.timeout.connect(self.check)

    def start(self) -> None:
        self.timer.start()
        self.check()

    def check(self) -> None:
        for case in self._due_soon():
            if case.appointment is None:
                continue
            key = (case.case_id, case.appointment.at)
            if key not in self._announced:
                self._announced.add(key)
                self.reminder.emit(case)
