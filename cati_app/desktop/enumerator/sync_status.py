"""Sync state in the status bar, and the sync log the enumerator can open."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.desktop.display import thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.table_model import HEADER_CONTEXT, Column, RowTableModel
from cati_app.desktop.theme import WARNING_COLOUR

if TYPE_CHECKING:
    from cati_app.client.store.views import SyncLogEntry

Index = QModelIndex | QPersistentModelIndex


class SyncStatusWidget(QWidget):
    """● online/offline · N waiting to upload · last sync 10:32 · [progress while syncing]"""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.connection = QLabel(objectName="connection")
        self.waiting = QLabel(objectName="waiting")
        self.last_sync = QLabel(objectName="lastSync")
        self.progress = QProgressBar()
        self.progress.setObjectName("syncProgress")
        self.progress.setMaximumWidth(160)
        self.progress.setMaximumHeight(14)
        self.progress.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        for widget in (self.connection, self.waiting, self.last_sync, self.progress):
            layout.addWidget(widget)
        self.set_online(None)
        self.set_waiting(0)
        self.set_last_sync(None)

    def set_online(self, online: bool | None) -> None:
        text, colour = {True: (self.tr("online"), "#2e7d32"),
                        False: (self.tr("offline"), "#c62828"),
                        None: (self.tr("not synced yet"), "#8a8a8a")}[online]
        self.connection.setText(f"<span style='color:{colour}'>●</span> {text}")

    def set_waiting(self, count: int) -> None:
        self.waiting.setText(self.tr("{count} waiting to upload").format(count=count) if count
                             else self.tr("nothing waiting"))

    def set_last_sync(self, when: datetime | None) -> None:
        self.last_sync.setText(self.tr("last sync {time}").format(time=thimphu_time(when)) if when
                               else self.tr("never synced"))

    def sync_started(self) -> None:
        self.progress.setRange(0, 0)  # busy until the engine reports a total
        self.progress.show()

    def sync_progressed(self, stage: str, done: int, total: int) -> None:
        self.progress.setFormat(stage)
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(min(done, total) if total else 0)

    def sync_finished(self) -> None:
        self.progress.hide()


SYNC_LOG_COLUMNS: list[Column[SyncLogEntry]] = [
    Column(QT_TRANSLATE_NOOP(HEADER_CONTEXT, "When (BTT)"), lambda e: e.at, thimphu_time),
    Column(QT_TRANSLATE_NOOP(HEADER_CONTEXT, "Level"), lambda e: e.level),
    Column(QT_TRANSLATE_NOOP(HEADER_CONTEXT, "Message"), lambda e: e.message),
]


def _warning_colour(entry: SyncLogEntry) -> QColor | None:
    return QColor(WARNING_COLOUR) if entry.level.lower() in ("error", "warning") else None


class SyncLogDialog(QDialog):
    def __init__(self, entries: Sequence[SyncLogEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sync log"))
        self.resize(720, 400)
        self.model = RowTableModel(SYNC_LOG_COLUMNS, self, foreground=_warning_colour)
        self.model.set_rows(entries)  # a log is re-read whole when the dialog opens
        view = QTableView()
        view.setModel(self.model)
        view.verticalHeader().hide()
        view.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        view.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(view)
        layout.addWidget(buttons)
