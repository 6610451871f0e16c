"""The Complaints tab (issue 16): the tickets complaints became, filtered by service, office and
state, and moved along open → acknowledged → resolved (or reopened) with a note, or given
another category. Texts come masked from the server; no names or phone numbers.

Keyboard: Tab walks filters → list → category → note → buttons; the buttons have Alt
mnemonics (Alt+A acknowledge, Alt+R resolve, Alt+O reopen, Alt+C set the category), and
Enter in the note acknowledges an open ticket or resolves an acknowledged one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

from cati_app.client.supervisor_api import TicketQuery
from cati_app.core.complaints import CATEGORIES
from cati_app.desktop.display import thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.supervisor.list_loader import ListLoader
from cati_app.desktop.table_model import Column, RowTableModel
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi
    from cati_app.core.protocol_scorecard import Ticket, TicketPage

COLUMNS: list[Column[Ticket]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Ticket"), lambda t: t.id, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Reported"), lambda t: t.reported_on.isoformat()),
    Column(QT_TRANSLATE_NOOP("Column", "Service"), lambda t: t.service_code),
    Column(QT_TRANSLATE_NOOP("Column", "Office"), lambda t: t.office),
    Column(QT_TRANSLATE_NOOP("Column", "Category"), lambda t: t.category.replace("_", " ")),
    Column(QT_TRANSLATE_NOOP("Column", "State"), lambda t: t.state),
    Column(QT_TRANSLATE_NOOP("Column", "Call-back"),
           lambda t: t.follow_up or ("agreed" if t.consent_to_follow_up else "")),
    Column(QT_TRANSLATE_NOOP("Column", "Updated (BTT)"), lambda t: thimphu_time(t.updated_at)),
    Column(QT_TRANSLATE_NOOP("Column", "Last note"), lambda t: t.note),
    Column(QT_TRANSLATE_NOOP("Column", "Complaint"), lambda t: t.text),
]
#: what Enter in the note does to a ticket in each state
NEXT_ON_ENTER = {"open": "acknowledged", "acknowledged": "resolved"}


class ComplaintsPage(QWidget):
    counted = Signal(int)  # open tickets, for the tab's title

    def __init__(self, api: SupervisorApi, runner: BackgroundRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.model: RowTableModel[Ticket] = RowTableModel(COLUMNS, self)
        self.lister: ListLoader[TicketPage] = ListLoader(runner, self, self._listed,
                                                          self._failed)
        self._build_filters()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        self.category = QComboBox()
        for name in CATEGORIES:
            self.category.addItem(name.replace("_", " "), name)
        self.note = QLineEdit(placeholderText=self.tr(
            "Note: what was done (needed for every change)"))
        self.note.setMaxLength(2000)
        self.note.returnPressed.connect(self.next_step)
        self.buttons = {
            "acknowledged": QPushButton(self.tr("&Acknowledge")),
            "resolved": QPushButton(self.tr("&Resolve")),
            "open": QPushButton(self.tr("Re&open")),
        }
        for state, button in self.buttons.items():
            button.clicked.connect(lambda _checked=False, state=state: self.change(state))
        self.category_button = QPushButton(self.tr("Set &category"))
        self.category_button.clicked.connect(self.recategorise)
        self.status = QLabel("", objectName="complaintsStatus", wordWrap=True)
        self._lay_out()

    def _build_filters(self) -> None:
        self.service = QComboBox()
        self.service.addItem(self.tr("All services"), "")
        self.office = QLineEdit(placeholderText=self.tr("Office (exact)"))
        self.state = QComboBox()
        for text, value in ((self.tr("Open"), "open"), (self.tr("Acknowledged"), "acknowledged"),
                            (self.tr("Resolved"), "resolved"), (self.tr("All"), "")):
            self.state.addItem(text, value)
        self.service.currentIndexChanged.connect(lambda _i: self.refresh())
        self.state.currentIndexChanged.connect(lambda _i: self.refresh())
        self.office.returnPressed.connect(self.refresh)

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        for label, widget in ((self.tr("Service"), self.service),
                              (self.tr("Office"), self.office), (self.tr("State"), self.state)):
            top.addWidget(QLabel(label))
            top.addWidget(widget)
        top.addStretch(1)
        act = QHBoxLayout()
        act.addWidget(self.category)
        act.addWidget(self.category_button)
        act.addWidget(self.note, 1)
        for button in self.buttons.values():
            act.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(act)
        layout.addWidget(self.status)

    def set_services(self, services: list[tuple[str, str]]) -> None:
        current = self.service.currentData()
        self.service.blockSignals(True)
        self.service.clear()
        self.service.addItem(self.tr("All services"), "")
        for code, name in services:
            self.service.addItem(f"{code} — {name}", code)
        self.service.setCurrentIndex(max(0, self.service.findData(current)))
        self.service.blockSignals(False)

    def query(self) -> TicketQuery:
        return TicketQuery(service=self.service.currentData() or None,
                           office=self.office.text().strip() or None,
                           state=self.state.currentData() or None)

    def refresh(self, *, automatic: bool = False) -> None:
        query = self.query()
        self.lister.load(lambda: self.api.tickets(query), automatic=automatic)

    def reading(self) -> bool:
        """A supervisor writing a note keeps the list still."""
        return bool(self.note.text().strip())

    def selected(self) -> Ticket | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def next_step(self) -> None:
        ticket = self.selected()
        if ticket is not None and ticket.state in NEXT_ON_ENTER:
            self.change(NEXT_ON_ENTER[ticket.state])

    def change(self, state: str, category: str | None = None) -> None:
        ticket = self.selected()
        if ticket is None:
            self.status.setText(self.tr("Select a ticket first."))
            return
        note = self.note.text().strip()
        if not note:
            self.status.setText(self.tr("Write a note saying what was done first."))
            self.note.setFocus()
            return
        self.status.setText(self.tr("Saving…"))
        self.runner.run(lambda: self.api.change_ticket(ticket.id, state, note, category),
                        self._changed, self._failed, owner=self)

    def recategorise(self) -> None:
        ticket = self.selected()
        if ticket is not None:
            self.change(ticket.state, str(self.category.currentData()))

    def _selected(self) -> None:
        ticket = self.selected()
        if ticket is not None:
            self.category.setCurrentIndex(max(0, self.category.findData(ticket.category)))
        for state, button in self.buttons.items():
            button.setEnabled(ticket is not None and ticket.state != state
                              and not (ticket.state == "acknowledged" and state == "open")
                              and not (ticket.state == "open" and state == "open"))

    def _changed(self, ticket: Ticket) -> None:
        self.note.clear()
        self.status.setText(self.tr("Ticket {id} is {state}.").format(id=ticket.id,
                                                                      state=ticket.state))
        self.refresh()

    def _listed(self, page: TicketPage) -> None:
        self.model.set_rows(page.tickets)
        if page.tickets and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)  # the keyboard starts on a ticket: type a note, Enter
        self._selected()
        if self.query().state == "open":
            self.counted.emit(page.total)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(f"⚠ {error}")
