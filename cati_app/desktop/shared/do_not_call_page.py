"""The do-not-call register (issue 15), in the supervisor's room and the admin's workspace:
the numbers on it, masked (the server never sends one whole), found by their last digits; a
number added on a person's request to RCSC or on the supervisor's own decision; and, for admins
only, an entry removed with a reason. Every call runs off the UI thread with a busy bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.core.protocol_sampling import DoNotCallEntry, DoNotCallPage
from cati_app.desktop.display import thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.table_model import Column, RowTableModel
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.do_not_call_api import DoNotCallApi

PAGE_SIZE = 100
CONTEXT = "DoNotCallRegisterPage"
#: the server refuses a reason shorter than this for a removal
MIN_REASON = 3
SOURCE_NAMES = {
    "respondent": QT_TRANSLATE_NOOP("DoNotCallRegisterPage", "respondent on a call"),
    "sms_stop": QT_TRANSLATE_NOOP("DoNotCallRegisterPage", "SMS STOP"),
    "request": QT_TRANSLATE_NOOP("DoNotCallRegisterPage", "request to RCSC"),
    "supervisor": QT_TRANSLATE_NOOP("DoNotCallRegisterPage", "supervisor's decision"),
}

COLUMNS: list[Column[DoNotCallEntry]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Number"), lambda e: e.phone_masked),
    Column(QT_TRANSLATE_NOOP("Column", "Source"), lambda e: source_name(e.source)),
    Column(QT_TRANSLATE_NOOP("Column", "Added"), lambda e: thimphu_time(e.added_at)),
    Column(QT_TRANSLATE_NOOP("Column", "By"), lambda e: e.added_by),
    Column(QT_TRANSLATE_NOOP("Column", "Reason"), lambda e: e.reason),
]


def source_name(source: str) -> str:
    name = SOURCE_NAMES.get(source)
    return QCoreApplication.translate(CONTEXT, name) if name else source


class DoNotCallRegisterPage(QWidget):
    #: a number was added or removed
    changed = Signal()

    def __init__(self, api: DoNotCallApi, runner: BackgroundRunner, *, can_remove: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.offset = 0
        self.total = 0
        self.question: QMessageBox | None = None
        self.model: RowTableModel[DoNotCallEntry] = RowTableModel(COLUMNS, self)
        layout = QVBoxLayout(self)
        layout.addLayout(self._search_row())
        layout.addWidget(self._table(), 1)
        layout.addLayout(self._pager())
        layout.addWidget(self._add_box())
        self.remove_box = self._remove_box()
        self.remove_box.setVisible(can_remove)
        layout.addWidget(self.remove_box)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # a busy bar: the server does not say how long it takes
        self.busy.setMaximumHeight(8)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        self._enable()

    # --- building -------------------------------------------------------------------------

    def _search_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.digits = QLineEdit()
        self.digits.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,4}")))
        self.digits.setPlaceholderText(self.tr("last 1 to 4 digits"))
        self.digits.returnPressed.connect(self.search)
        label = QLabel(self.tr("Number &ends in:"))
        label.setBuddy(self.digits)
        self.search_button = QPushButton(self.tr("&Search"))
        self.search_button.clicked.connect(self.search)
        row.addWidget(label)
        row.addWidget(self.digits)
        row.addWidget(self.search_button)
        row.addStretch(1)
        return row

    def _table(self) -> QTableView:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._enable())
        return self.table

    def _pager(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.shown = QLabel()
        self.newer_button = QPushButton(self.tr("&Newer"))
        self.newer_button.clicked.connect(lambda: self._load(self.offset - PAGE_SIZE))
        self.older_button = QPushButton(self.tr("&Older"))
        self.older_button.clicked.connect(lambda: self._load(self.offset + PAGE_SIZE))
        row.addWidget(self.shown, 1)
        row.addWidget(self.newer_button)
        row.addWidget(self.older_button)
        return row

    def _add_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Add a number"))
        form = QFormLayout(box)
        self.phone = QLineEdit()
        self.phone.setPlaceholderText(self.tr("e.g. 17 12 34 56 or +975 2 323 456"))
        self.source = QComboBox()
        for source in ("request", "supervisor"):
            self.source.addItem(source_name(source), source)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("e.g. letter to RCSC of 3 June"))
        self.add_button = QPushButton(self.tr("&Add to the register…"))
        self.add_button.clicked.connect(self.add)
        for field in (self.phone, self.reason):
            field.textChanged.connect(lambda _text: self._enable())
            field.returnPressed.connect(self.add)
        form.addRow(self.tr("&Phone:"), self.phone)
        form.addRow(self.tr("S&ource:"), self.source)
        form.addRow(self.tr("Rea&son:"), self.reason)
        form.addRow("", self.add_button)
        return box

    def _remove_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Remove the selected number (admins)"))
        form = QFormLayout(box)
        self.removal_reason = QLineEdit()
        self.removal_reason.setPlaceholderText(self.tr("why it may be called again"))
        self.removal_reason.textChanged.connect(lambda _text: self._enable())
        self.remove_button = QPushButton(self.tr("&Remove from the register…"))
        self.remove_button.clicked.connect(self.remove)
        form.addRow(self.tr("Reason for &removal:"), self.removal_reason)
        form.addRow("", self.remove_button)
        return box

    # --- reading --------------------------------------------------------------------------

    def search(self) -> None:
        self._load(0)

    def refresh(self, then_say: str = "") -> None:
        self._load(self.offset, then_say)

    def _load(self, offset: int, then_say: str = "") -> None:
        """``then_say``: what the status line says once the page is shown (what was done)."""
        offset = max(0, offset)
        digits = self.digits.text().strip()
        self._run(lambda: self.api.page(digits, limit=PAGE_SIZE, offset=offset),
                  lambda page: self._show(page, then_say), self.tr("Loading the register…"))

    def _show(self, page: DoNotCallPage, then_say: str = "") -> None:
        self.offset, self.total = page.offset, page.total
        self.model.set_rows(page.entries)
        if page.total:
            self.shown.setText(self.tr("{first}–{last} of {total} number(s)").format(
                first=page.offset + 1, last=page.offset + len(page.entries), total=page.total))
        else:
            self.shown.setText(self.tr("No number on the register matches."))
        self.status.setText(then_say)
        self._enable()

    def selected(self) -> DoNotCallEntry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    # --- changing -------------------------------------------------------------------------

    def add(self) -> None:
        phone, reason = self.phone.text().strip(), self.reason.text().strip()
        if not phone:
            self.status.setText(self.tr("Type the number to add first."))
            self.phone.setFocus()
            return
        source = str(self.source.currentData())
        self._confirm(
            self.tr("Add this number to the do-not-call register?"),
            self.tr("It will never be dialled or texted again. Open cases left without a "
                    "number to call are closed at once and leave the enumerators' queues."),
            lambda: self._run(lambda: self.api.add(phone, source, reason),  # type: ignore[arg-type]
                              self._added, self.tr("Adding the number…")))

    def _added(self, entry: DoNotCallEntry) -> None:
        self.phone.clear()
        self.reason.clear()
        if entry.already_listed:
            message = self.tr("{number} was already on the register: nothing changed.")
        else:
            message = self.tr("{number} is on the register; {count} open case(s) withdrawn.")
        self.changed.emit()
        self.refresh(message.format(number=entry.phone_masked, count=entry.cases_withdrawn))

    def remove(self) -> None:
        entry, reason = self.selected(), self.removal_reason.text().strip()
        if entry is None or len(reason) < MIN_REASON:
            self.status.setText(self.tr("Select a number and say why it may be called again "
                                        "(at least {n} characters).").format(n=MIN_REASON))
            return
        self._confirm(
            self.tr("Remove this number from the register?"),
            self.tr("{number} may be called again from the next call list. Cases it closed "
                    "stay closed.").format(number=entry.phone_masked),
            lambda: self._run(lambda: self.api.remove(entry.id, reason), self._removed,
                              self.tr("Removing the number…")))

    def _removed(self, entry: DoNotCallEntry) -> None:
        self.removal_reason.clear()
        self.changed.emit()
        self.refresh(self.tr("{number} was removed from the register.").format(
            number=entry.phone_masked))

    # --- plumbing -------------------------------------------------------------------------

    def _confirm(self, title: str, text: str, then: Callable[[], None]) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(
            lambda result: then() if result == QMessageBox.StandardButton.Yes else None)
        box.open()
        self.question = box
        return box

    def _run(self, call: Callable[[], Any], done: Callable[[Any], None], working: str) -> None:
        self.busy.show()
        self.status.setText(working)

        def succeeded(reply: Any) -> None:
            self.busy.hide()
            done(reply)

        self.runner.run(call, succeeded, self._failed, owner=self)

    def _failed(self, error: BaseException) -> None:
        self.busy.hide()
        self.status.setText(self.tr("Not done: {reason}").format(reason=error))

    def _enable(self) -> None:
        self.add_button.setEnabled(bool(self.phone.text().strip()))
        self.remove_button.setEnabled(self.selected() is not None
                                      and len(self.removal_reason.text().strip()) >= MIN_REASON)
        self.newer_button.setEnabled(self.offset > 0)
        self.older_button.setEnabled(self.offset + PAGE_SIZE < self.total)
