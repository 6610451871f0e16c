"""What every page of the admin room shares: a table of rows from the server, a line that
says what happened, and actions on the selected row that run off the UI thread and reload
the table when done."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.desktop.table_model import Column, RowTableModel
from cati_app.desktop.worker import BackgroundRunner

Row = TypeVar("Row")


class ListPage(QWidget, Generic[Row]):
    """``load`` fetches the rows (on the runner); subclasses add their controls below the
    table with ``add_section`` and act on ``selected()`` with ``act``."""

    loaded = Signal()
    #: a change went through (after the table reloaded)
    changed = Signal()

    def __init__(self, runner: BackgroundRunner, columns: Sequence[Column[Row]],
                 load: Callable[[], list[Row]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._load = load
        self.model: RowTableModel[Row] = RowTableModel(columns, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.refresh_button = QPushButton(self.tr("Re&load"))
        self.refresh_button.clicked.connect(self.refresh)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(self.status)
        self.table.selectionModel().selectionChanged.connect(
            lambda *_args: self.selection_changed())

    def add_section(self, widget: QWidget) -> None:
        self.layout_.addWidget(widget)

    def refresh(self) -> None:
        self.runner.run(self._load, self._show, self._failed, owner=self)

    def _show(self, rows: list[Row]) -> None:
        chosen = self.selected()
        self.model.set_rows(rows)
        self._reselect(chosen)
        self.loaded.emit()

    def _reselect(self, chosen: Row | None) -> None:
        if chosen is None:
            return
        key = self.row_key(chosen)
        for number, row in enumerate(self.model.rows()):
            if self.row_key(row) == key:
                self.table.selectRow(number)
                return

    def row_key(self, row: Row) -> Any:
        """What identifies a row across reloads (to keep it selected)."""
        return row

    def selected(self) -> Row | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def selection_changed(self) -> None:
        """Subclasses enable the actions the selected row allows."""

    def act(self, call: Callable[[], Any], done: Callable[[Any], str]) -> None:
        """Run ``call`` off the UI thread; say ``done(reply)`` and reload when it succeeds."""
        self.status.setText(self.tr("Working…"))

        def succeeded(reply: Any) -> None:
            self.status.setText(done(reply))
            self.refresh()
            self.changed.emit()

        self.runner.run(call, succeeded, self._failed, owner=self)

    def confirm(self, title: str, text: str, then: Callable[[], None]) -> QMessageBox:
        """Ask before a change a person cannot take back in one click (window-modal)."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(
            lambda result: then() if result == QMessageBox.StandardButton.Yes else None)
        box.open()
        self.question = box
        return box

    def _failed(self, error: BaseException) -> None:
        self.status.setText(self.tr("Not done: {reason}").format(reason=error))
