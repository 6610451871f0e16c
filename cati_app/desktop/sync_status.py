"""Sync state in the status bar, and the sync log the enumerator can open."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
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
        self.progress = QProgressBar(objectName="syncProgress")
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


class SyncLogModel(QAbstractTableModel):
    HEADERS = (QT_TRANSLATE_NOOP("SyncLogModel", "When (BTT)"),
               QT_TRANSLATE_NOOP("SyncLogModel", "Level"),
               QT_TRANSLATE_NOOP("SyncLogModel", "Message"))

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[SyncLogEntry] = []

    def set_entries(self, entries: Sequence[SyncLogEntry]) -> None:
        self.beginResetModel()  # a log is re-read whole when the dialog opens
        self._entries = list(entries)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.HEADERS):
            return QCoreApplication.translate("SyncLogModel", self.HEADERS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (thimphu_time(entry.at), entry.level, entry.message)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and entry.level.lower() in ("error", "warning"):
            return QColor(WARNING_COLOUR)
        return None


class SyncLogDialog(QDialog):
    def __init__(self, entries: Sequence[SyncLogEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sync log"))
        self.resize(720, 400)
        self.model = SyncLogModel(self)
        self.model.set_entries(entries)
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
