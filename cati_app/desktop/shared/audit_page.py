"""The audit trail, for supervisors and admins: who did what, filtered by case, user, action
and date, a page at a time; and the whole filtered trail saved as CSV (every cell made safe
to open in a spreadsheet)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.client.admin_api import AuditQuery
from cati_app.core.protocol_admin import MAX_AUDIT_PAGE, AuditEntryOut, AuditPage
from cati_app.core.safe_csv import SafeCsvWriter
from cati_app.desktop.display import thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.table_model import Column, RowTableModel
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.admin_api import AuditApi

PAGE_SIZE = 200
CSV_HEADER = ["id", "at (Thimphu)", "user", "device", "action", "entity", "entity id",
              "details"]
SaveChooser = Callable[[QWidget, str, str, str], str]

AUDIT_COLUMNS: list[Column[AuditEntryOut]] = [
    Column(QT_TRANSLATE_NOOP("Column", "When"), lambda e: thimphu_time(e.at)),
    Column(QT_TRANSLATE_NOOP("Column", "User"), lambda e: e.username),
    Column(QT_TRANSLATE_NOOP("Column", "Action"), lambda e: e.action),
    Column(QT_TRANSLATE_NOOP("Column", "Entity"), lambda e: e.entity),
    Column(QT_TRANSLATE_NOOP("Column", "Id"), lambda e: e.entity_id),
    Column(QT_TRANSLATE_NOOP("Column", "Device"), lambda e: e.device_id),
    Column(QT_TRANSLATE_NOOP("Column", "Details"), lambda e: _details(e)),
]


def _details(entry: AuditEntryOut) -> str:
    return json.dumps(entry.details, ensure_ascii=False, sort_keys=True) if entry.details else ""


def _day(edit: QDateEdit) -> date:
    day = edit.date()
    return date(day.year(), day.month(), day.day())


def _choose_save(parent: QWidget, title: str, start: str, file_filter: str) -> str:
    return QFileDialog.getSaveFileName(parent, title, start, file_filter)[0]


def every_entry(api: AuditApi, query: AuditQuery) -> Iterator[AuditEntryOut]:
    """Every matching entry, newest first, a large page at a time."""
    offset = 0
    while True:
        page = api.page(query, limit=MAX_AUDIT_PAGE, offset=offset)
        yield from page.entries
        offset += len(page.entries)
        if not page.entries or offset >= page.total:
            return


def write_csv(entries: Iterator[AuditEntryOut], path: Path) -> int:
    """Through a ``.part`` file, so a failed export never leaves half a file behind."""
    partial = path.with_name(path.name + ".part")
    count = 0
    try:
        with partial.open("w", newline="", encoding="utf-8-sig") as stream:
            writer = SafeCsvWriter(stream)
            writer.writerow(CSV_HEADER)
            for entry in entries:
                writer.writerow([entry.id, thimphu_time(entry.at), entry.username,
                                 entry.device_id, entry.action, entry.entity, entry.entity_id,
                                 _details(entry)])
                count += 1
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


class AuditTrailPage(QWidget):
    def __init__(self, api: AuditApi, runner: BackgroundRunner, today: Callable[[], date],
                 parent: QWidget | None = None, *, choose_save: SaveChooser = _choose_save
                 ) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.choose_save = choose_save
        self.offset = 0
        self.total = 0
        self.model: RowTableModel[AuditEntryOut] = RowTableModel(AUDIT_COLUMNS, self)
        layout = QVBoxLayout(self)
        layout.addLayout(self._filters(today()))
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._pager())
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

    def _filters(self, today: date) -> QFormLayout:
        form = QFormLayout()
        self.case_id = QLineEdit()
        self.case_id.setPlaceholderText(self.tr("a case number"))
        self.user = QLineEdit()
        self.user.setPlaceholderText(self.tr("a username"))
        self.action = QLineEdit()
        self.action.setPlaceholderText(self.tr("e.g. user.create, or user for every account "
                                               "change"))
        self.use_from, self.date_from = QCheckBox(self.tr("&From")), self._date_edit(today)
        self.use_to, self.date_to = QCheckBox(self.tr("&To")), self._date_edit(today)
        dates = QHBoxLayout()
        for check, edit in ((self.use_from, self.date_from), (self.use_to, self.date_to)):
            check.toggled.connect(edit.setEnabled)
            dates.addWidget(check)
            dates.addWidget(edit)
        dates.addStretch(1)
        self.search_button = QPushButton(self.tr("&Search"))
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        self.export_button = QPushButton(self.tr("&Export to CSV…"))
        self.export_button.clicked.connect(self.export)
        for field in (self.case_id, self.user, self.action):
            field.returnPressed.connect(self.search)
        form.addRow(self.tr("&Case:"), self.case_id)
        form.addRow(self.tr("&User:"), self.user)
        form.addRow(self.tr("&Action:"), self.action)
        form.addRow(self.tr("Dates:"), dates)
        buttons = QHBoxLayout()
        buttons.addWidget(self.search_button)
        buttons.addWidget(self.export_button)
        buttons.addStretch(1)
        form.addRow("", buttons)
        return form

    @staticmethod
    def _date_edit(day: date) -> QDateEdit:
        edit = QDateEdit(QDate(day.year, day.month, day.day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setEnabled(False)
        return edit

    def _pager(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.shown = QLabel()
        self.previous_button = QPushButton(self.tr("&Newer"))
        self.previous_button.clicked.connect(lambda: self._load(self.offset - PAGE_SIZE))
        self.next_button = QPushButton(self.tr("&Older"))
        self.next_button.clicked.connect(lambda: self._load(self.offset + PAGE_SIZE))
        row.addWidget(self.shown, 1)
        row.addWidget(self.previous_button)
        row.addWidget(self.next_button)
        self._show_pager()
        return row

    def query(self) -> AuditQuery | None:
        """The filters as typed, or None (and a message) when the case is not a number."""
        case_text = self.case_id.text().strip()
        if case_text and not case_text.isdigit():
            self.status.setText(self.tr("A case is a number."))
            return None
        return AuditQuery(case_id=int(case_text) if case_text else None,
                          user=self.user.text().strip() or None,
                          action=self.action.text().strip() or None,
                          date_from=_day(self.date_from) if self.use_from.isChecked() else None,
                          date_to=_day(self.date_to) if self.use_to.isChecked() else None)

    def search(self) -> None:
        self._load(0)

    def refresh(self) -> None:
        self._load(self.offset)

    def _load(self, offset: int) -> None:
        query = self.query()
        if query is None:
            return
        offset = max(0, offset)
        self.status.setText(self.tr("Loading…"))
        self.runner.run(lambda: self.api.page(query, limit=PAGE_SIZE, offset=offset),
                        self._show, self._failed, owner=self)

    def _show(self, page: AuditPage) -> None:
        self.offset, self.total = page.offset, page.total
        self.model.set_rows(page.entries)
        self.status.clear()
        self._show_pager()

    def _show_pager(self) -> None:
        shown = self.model.rowCount()
        self.shown.setText(self.tr("{first}–{last} of {total} entries").format(
            first=self.offset + 1 if shown else 0, last=self.offset + shown, total=self.total))
        self.previous_button.setEnabled(self.offset > 0)
        self.next_button.setEnabled(self.offset + shown < self.total)

    def export(self) -> None:
        query = self.query()
        if query is None:
            return
        chosen = self.choose_save(self, self.tr("Save the audit trail as"), "audit-trail.csv",
                                  self.tr("CSV files (*.csv)"))
        if not chosen:
            return
        path = Path(chosen)
        self.status.setText(self.tr("Exporting…"))
        self.runner.run(lambda: write_csv(every_entry(self.api, query), path),
                        lambda count: self.status.setText(
                            self.tr("{count} entries saved to {file}.").format(
                                count=count, file=path.name)),
                        self._failed, owner=self)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(self.tr("Not done: {reason}").format(reason=error))
