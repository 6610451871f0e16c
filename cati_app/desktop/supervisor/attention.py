"""Two tabs of what waits for a supervisor: the quarantine (items the server refused and kept
as they were sent) to resolve or dismiss with a note, and the cases enumerators released, with
their reasons, to reassign. Both refresh themselves like the other lists (``ListLoader``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.desktop.display import thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.supervisor.case_dialogs import EnumeratorDialog
from cati_app.desktop.supervisor.list_loader import ListLoader
from cati_app.desktop.table_model import Column, RowTableModel
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi
    from cati_app.core.protocol_supervision import (
        QuarantineList,
        QuarantineRow,
        ReleasedCase,
        ReleasedList,
    )

QUARANTINE_COLUMNS: list[Column[QuarantineRow]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Received (BTT)"), lambda r: thimphu_time(r.received_at)),
    Column(QT_TRANSLATE_NOOP("Column", "Enumerator"), lambda r: r.enumerator),
    Column(QT_TRANSLATE_NOOP("Column", "Case"), lambda r: r.case_id or "", numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "What"), lambda r: r.kind.replace("_", " ")),
    Column(QT_TRANSLATE_NOOP("Column", "Why it was kept aside"), lambda r: r.reason),
    Column(QT_TRANSLATE_NOOP("Column", "Decision"),
           lambda r: f"{r.settlement} ({r.settled_by})" if r.settlement else ""),
]
RELEASED_COLUMNS: list[Column[ReleasedCase]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Case"), lambda r: r.case_id, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Service"), lambda r: r.service_code),
    Column(QT_TRANSLATE_NOOP("Column", "Respondent"), lambda r: r.respondent_name),
    Column(QT_TRANSLATE_NOOP("Column", "Released by"), lambda r: r.released_by),
    Column(QT_TRANSLATE_NOOP("Column", "When (BTT)"), lambda r: thimphu_time(r.released_at)),
    Column(QT_TRANSLATE_NOOP("Column", "Their reason"), lambda r: r.reason),
]


def _table(model: RowTableModel[Any], *, several: bool) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if several
                           else QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().hide()
    return table


class QuarantinePage(QWidget):
    counted = Signal(int)  # open items, for the tab's title

    def __init__(self, api: SupervisorApi, runner: BackgroundRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.model: RowTableModel[QuarantineRow] = RowTableModel(QUARANTINE_COLUMNS, self)
        self.lister: ListLoader[QuarantineList] = ListLoader(runner, self, self._listed,
                                                              self._failed)
        self.status_filter = QComboBox()
        for text, value in ((self.tr("Open"), "open"), (self.tr("Settled"), "settled"),
                            (self.tr("All"), "all")):
            self.status_filter.addItem(text, value)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        self.table = _table(self.model, several=False)
        self.note = QLineEdit(placeholderText=self.tr(
            "Note: what you did about it (e.g. re-entered by hand, asked the enumerator)"))
        self.note.setMaxLength(500)
        self.resolve_button = QPushButton(self.tr("Resolved"))
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        self.resolve_button.clicked.connect(lambda: self.settle("resolved"))
        self.dismiss_button.clicked.connect(lambda: self.settle("dismissed"))
        self.status = QLabel("", objectName="quarantineStatus", wordWrap=True)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Show")))
        top.addWidget(self.status_filter)
        top.addStretch(1)
        act = QHBoxLayout()
        act.addWidget(self.note, 1)
        act.addWidget(self.resolve_button)
        act.addWidget(self.dismiss_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(act)
        layout.addWidget(self.status)

    def refresh(self, *, automatic: bool = False) -> None:
        status = str(self.status_filter.currentData())
        self.lister.load(lambda: self.api.quarantine(status), automatic=automatic)

    def reading(self) -> bool:
        """A supervisor writing a note keeps the list still."""
        return bool(self.note.text().strip())

    def selected(self) -> QuarantineRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def settle(self, settlement: str) -> None:
        item = self.selected()
        if item is None or item.settlement is not None:
            self.status.setText(self.tr("Select an open item first."))
            return
        note = self.note.text().strip()
        self.status.setText(self.tr("Saving…"))
        self.runner.run(lambda: self.api.settle_quarantined(item.id, settlement, note),  # type: ignore[arg-type]
                        self._settled, self._failed, owner=self)

    def _settled(self, row: QuarantineRow) -> None:
        self.note.clear()
        self.status.setText(self.tr("Item {id}: {settlement}.").format(
            id=row.id, settlement=row.settlement))
        self.refresh()

    def _listed(self, listing: QuarantineList) -> None:
        self.model.set_rows(listing.items)
        if self.status_filter.currentData() == "open":
            self.counted.emit(listing.total)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"⚠ {error}")


class ReleasedPage(QWidget):
    counted = Signal(int)
    changed = Signal()

    def __init__(self, api: SupervisorApi, runner: BackgroundRunner,
                 enumerators: Callable[[], list[tuple[str, str]]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.enumerators = enumerators
        self.dialog: EnumeratorDialog | None = None
        self.model: RowTableModel[ReleasedCase] = RowTableModel(RELEASED_COLUMNS, self)
        self.lister: ListLoader[ReleasedList] = ListLoader(runner, self, self._listed,
                                                            self._failed)
        self.table = _table(self.model, several=True)
        self.assign_button = QPushButton(self.tr("Reassign to…"))
        self.assign_button.clicked.connect(self.reassign_selected)
        self.status = QLabel("", objectName="releasedStatus", wordWrap=True)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.assign_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Cases enumerators gave back, with their reasons. "
                                        "They are in the pool for anyone else; assign them to "
                                        "someone who can take them (a language, a time).")))
        layout.addWidget(self.table, 1)
        layout.addLayout(row)

    def refresh(self, *, automatic: bool = False) -> None:
        self.lister.load(self.api.released_cases, automatic=automatic)

    def reading(self) -> bool:
        return self.table.selectionModel().hasSelection()

    def reassign_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        cases = [self.model.row_at(r) for r in rows]
        if not cases:
            self.status.setText(self.tr("Select one or more cases first."))
            return
        picker = EnumeratorDialog(len(cases), self.enumerators(), self)
        ids = [c.case_id for c in cases]
        picker.accepted.connect(lambda: self._assign(ids, picker.username()))
        self.dialog = picker
        picker.open()

    def _assign(self, ids: list[int], username: str | None) -> None:
        if not username:
            return
        self.status.setText(self.tr("Saving…"))
        self.runner.run(lambda: self.api.assign(ids, username), self._assigned, self._failed,
                        owner=self)

    def _assigned(self, reply: Any) -> None:
        done = sum(1 for r in reply.results if r.result == "assigned")
        self.status.setText(self.tr("{done} of {count} assigned.").format(
            done=done, count=len(reply.results)))
        self.table.clearSelection()
        self.changed.emit()
        self.refresh()

    def _listed(self, listing: ReleasedList) -> None:
        self.model.set_rows(listing.cases)
        self.counted.emit(len(listing.cases))

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"⚠ {error}")
