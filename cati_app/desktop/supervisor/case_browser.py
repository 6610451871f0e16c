"""The case browser: server-side filters and paging, bulk reassign / return to the pool /
priority with a confirmation that says how many cases and whose, and the per-case results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.client.supervisor_api import CaseQuery
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.supervisor.bulk import confirm_assign, confirm_priority
from cati_app.desktop.supervisor.case_dialogs import ConfirmDialog, EnumeratorDialog, PriorityDialog
from cati_app.desktop.supervisor.case_model import (
    STATE_LABELS,
    CasePageModel,
    Paging,
    state_label,
)
from cati_app.desktop.table_model import Column, RowTableModel
from cati_app.desktop.worker import BackgroundRunner

#: the server wants at least this much of a reason before it shows a number in full
REVEAL_REASON_MIN = 5

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi
    from cati_app.core.protocol_admin import SampleBatchOut
    from cati_app.core.protocol_supervision import (
        CaseKey,
        CasePage,
        CaseRow,
        MatchingCases,
        RevealedPhones,
    )

translate = QCoreApplication.translate
# source text, translated where shown (result_label)
RESULT_LABELS = {"assigned": QT_TRANSLATE_NOOP("ChangeResult", "Assigned"),
                 "returned": QT_TRANSLATE_NOOP("ChangeResult", "Returned to the pool"),
                 "unchanged": QT_TRANSLATE_NOOP("ChangeResult", "Unchanged"),
                 "refused": QT_TRANSLATE_NOOP("ChangeResult", "Refused"),
                 "not_found": QT_TRANSLATE_NOOP("ChangeResult", "Not found"),
                 "priority": QT_TRANSLATE_NOOP("ChangeResult", "Priority changed")}


def result_label(result: str) -> str:
    return translate("ChangeResult", RESULT_LABELS[result]) if result in RESULT_LABELS \
        else result


@dataclass(frozen=True)
class ChangeResult:
    """What happened to one case (assign results, and priority changes in the same shape)."""

    case_id: int
    result: str
    detail: str = ""


RESULT_COLUMNS: list[Column[ChangeResult]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Case"), lambda r: r.case_id, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Result"), lambda r: result_label(r.result)),
    Column(QT_TRANSLATE_NOOP("Column", "Detail"), lambda r: r.detail),
]
ANY = ""


class CaseBrowser(QWidget):
    # a bulk change finished (so the dashboard can refresh)
    changed = Signal()

    def __init__(self, api: SupervisorApi, runner: BackgroundRunner,
                 parent: QWidget | None = None, *, page_size: int = 200) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.enumerators: list[tuple[str, str]] = []
        self.dialog: QDialog | None = None
        # every case matching the filters, when chosen with "Choose all matching"
        self.matching: list[CaseKey] | None = None
        self.model = CasePageModel(self, page_size)
        self.results = RowTableModel(RESULT_COLUMNS, self)
        self.loading = False
        layout = QVBoxLayout(self)
        layout.addLayout(self._build_filters())
        layout.addWidget(self._build_tables(), 1)
        layout.addLayout(self._build_actions())

    # --- building ----------------------------------------------------------------------------

    def _build_filters(self) -> QHBoxLayout:
        self.state = QComboBox()
        self.state.addItem(self.tr("Any state"), ANY)
        for key in STATE_LABELS:
            self.state.addItem(state_label(key), key)
        self.holder = QComboBox(editable=True)
        holder_text = self.holder.lineEdit()  # an editable combo box always has one
        if holder_text is not None:
            holder_text.setPlaceholderText(self.tr("any holder"))
        self.holder.setMinimumWidth(130)
        self.service = QComboBox()
        self.service.addItem(self.tr("Any service"), ANY)
        self.service.setMaximumWidth(280)
        self.batch = QComboBox()
        self.batch.setMinimumContentsLength(24)
        self.batch.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.set_call_lists([])
        self.text = QLineEdit(
            placeholderText=self.tr("case id, or part of a name, office or dzongkhag"))
        self.text.returnPressed.connect(self.search)
        search = QPushButton(self.tr("Search"))
        search.clicked.connect(self.search)
        row = QHBoxLayout()
        for label, widget in ((self.tr("State"), self.state), (self.tr("Holder"), self.holder),
                              (self.tr("Service"), self.service),
                              (self.tr("Call list"), self.batch)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addWidget(self.text, 1)
        row.addWidget(search)
        return row

    def _build_tables(self) -> QSplitter:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        # choosing rows by hand ends "every case matching the filters"
        self.table.selectionModel().selectionChanged.connect(self._rows_chosen)
        self.result_table = QTableView()
        self.result_table.setModel(self.results)
        self.result_table.verticalHeader().hide()
        self.result_table.horizontalHeader().setStretchLastSection(True)
        self.result_summary = QLabel(self.tr("Results of the last change appear here."),
                                     objectName="resultSummary")
        results = QWidget()
        box = QVBoxLayout(results)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.result_summary)
        box.addWidget(self.result_table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(results)
        splitter.setSizes([500, 140])
        return splitter

    def _build_actions(self) -> QHBoxLayout:
        self.previous_button = QPushButton(self.tr("◀ Previous"))
        self.next_button = QPushButton(self.tr("Next ▶"))
        self.previous_button.clicked.connect(lambda: self._load(self.model.paging.previous()))
        self.next_button.clicked.connect(lambda: self._load(self.model.paging.next()))
        self.page_label = QLabel("", objectName="pageLabel")
        self.status = QLabel("", objectName="browserStatus")
        row = QHBoxLayout()
        for widget in (self.previous_button, self.page_label, self.next_button):
            row.addWidget(widget)
        row.addWidget(self.status, 1)
        self.reassign_button = QPushButton(self.tr("Reassign to…"))
        self.return_button = QPushButton(self.tr("Return to pool"))
        self.priority_button = QPushButton(self.tr("Change priority…"))
        self.all_button = QPushButton(self.tr("Choose all matching"))
        self.all_button.setToolTip(self.tr("Every case the filters match, on every page: the "
                                           "next change acts on all of them"))
        self.all_button.clicked.connect(self.choose_all_matching)
        row.addWidget(self.all_button)
        self.phones_button = QPushButton(self.tr("Show numbers…"))
        self.phones_button.setToolTip(self.tr("Numbers are masked in this list; seeing one in "
                                              "full needs a reason, which is logged"))
        for button, slot in ((self.reassign_button, self.reassign_selected),
                             (self.return_button, self.return_selected),
                             (self.priority_button, self.prioritise_selected),
                             (self.phones_button, self.reveal_selected_phones)):
            button.clicked.connect(slot)
            row.addWidget(button)
        self._update_paging()
        return row

    # --- lookups -------------------------------------------------------------------------

    def set_lookups(self, services: Sequence[tuple[str, str]],
                    enumerators: Sequence[tuple[str, str]]) -> None:
        """Services (code, name) and active enumerators (username, full name)."""
        self.enumerators = list(enumerators)
        current = self.service.currentData()
        self.service.clear()
        self.service.addItem(self.tr("Any service"), ANY)
        for code, name in services:
            self.service.addItem(f"{code} — {name}", code)
        self.service.setCurrentIndex(max(0, self.service.findData(current)))
        typed = self.holder.currentText()
        self.holder.clear()
        self.holder.addItems([""] + [username for username, _ in enumerators])
        self.holder.setEditText(typed)

    # --- loading pages ---------------------------------------------------------------------

    def set_call_lists(self, call_lists: Sequence[SampleBatchOut]) -> None:
        """The call lists to filter by, by name (the list chosen stays chosen)."""
        chosen = self.batch.currentData()
        self.batch.clear()
        self.batch.addItem(self.tr("any call list"), None)
        for batch in call_lists:
            self.batch.addItem(f"{batch.name} ({batch.service_code}, {batch.cases:,} cases)",
                               batch.id)
        found = self.batch.findData(chosen)
        self.batch.setCurrentIndex(max(found, 0))

    def load_call_lists(self) -> None:
        self.runner.run(self.api.call_lists, self.set_call_lists, self._failed, owner=self)

    def query(self) -> CaseQuery:
        return CaseQuery(state=self.state.currentData() or None,
                         holder=self.holder.currentText().strip() or None,
                         service=self.service.currentData() or None,
                         batch=self.batch.currentData() or None,
                         text=self.text.text().strip() or None)

    def search(self) -> None:
        self.matching = None
        self._load(self.model.paging.first())

    def reload(self) -> None:
        self._load(self.model.paging)

    def refresh(self, *, automatic: bool = False) -> None:
        """The page shown again, fresh; ``automatic`` (a timer, a tab shown) waits for a
        load still on its way."""
        if not (automatic and self.loading):
            self.reload()

    def reading(self) -> bool:
        """Cases are selected: the page is not redrawn under the supervisor's selection."""
        return self.table.selectionModel().hasSelection()

    def _load(self, paging: Paging) -> None:
        query = self.query()
        self.loading = True
        self.status.setText(self.tr("Loading…"))
        self.runner.run(
                lambda: self.api.cases(query, limit=paging.limit, offset=paging.offset),
                self._page_loaded, self._failed, owner=self)

    def _page_loaded(self, page: CasePage) -> None:
        self.loading = False
        self.status.setText("")
        self.model.set_page(page)
        self._update_paging()

    def _failed(self, error: BaseException) -> None:
        self.loading = False
        self.status.setText(f"⚠ {error}")

    def _update_paging(self) -> None:
        self.page_label.setText(self.model.describe())
        self.previous_button.setEnabled(self.model.paging.has_previous)
        self.next_button.setEnabled(self.model.paging.has_next)

    # --- selection and bulk changes --------------------------------------------------------

    def selected_cases(self) -> list[CaseRow]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.row_at(row) for row in rows]

    def select_rows(self, rows: Sequence[int]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        for row in rows:
            selection.select(self.model.index(row, 0), flags)

    def choose_all_matching(self) -> None:
        """Choose every case matching the filters (not only this page) for the next change;
        its confirmation says how many and whose before anything is done."""
        query = self.query()
        self.status.setText(self.tr("Counting the matching cases…"))
        self.runner.run(lambda: self.api.matching(query), self._matched, self._failed,
                        owner=self)

    def _matched(self, found: MatchingCases) -> None:
        if found.total > len(found.cases):
            self.status.setText(self.tr("{total} cases match: more than {cap} cannot be changed "
                                        "at once. Narrow the filters.").format(
                total=f"{found.total:,}", cap=f"{len(found.cases):,}"))
            return
        self.table.clearSelection()
        self.matching = found.cases
        self.status.setText(self.tr("All {count} cases matching the filters are chosen: the "
                                    "next Reassign, Return or Change priority acts on every one "
                                    "of them. Click a row to choose rows instead.").format(
            count=f"{len(found.cases):,}"))

    def _rows_chosen(self) -> None:
        if self.matching is not None and self.table.selectionModel().hasSelection():
            self.matching = None
            self.status.setText("")

    def _selection_or_warn(self) -> Sequence[CaseRow | CaseKey]:
        if self.matching is not None:
            return self.matching
        cases = self.selected_cases()
        if not cases:
            self.status.setText(
                self.tr("Select one or more cases first (Ctrl+click, Shift+click)."))
        return cases

    def reassign_selected(self) -> None:
        cases = self._selection_or_warn()
        if not cases:
            return
        holding = Counter(c.holder for c in cases if c.holder and c.state != "closed")
        picker = EnumeratorDialog(len(cases), self.enumerators, self, holding=holding)
        picker.accepted.connect(lambda: self._confirm_assign(cases, picker.username()))
        self._open(picker)

    def return_selected(self) -> None:
        cases = self._selection_or_warn()
        if cases:
            self._confirm_assign(cases, None)

    def _confirm_assign(self, cases: Sequence[CaseRow | CaseKey], to_user: str | None) -> None:
        confirmation = confirm_assign(cases, to_user)
        title = self.tr("Reassign cases") if to_user else self.tr("Return cases to the pool")
        dialog = ConfirmDialog(title, confirmation, self)
        ids = [c.case_id for c in cases]

        def go() -> None:
            reason = dialog.reason_text()
            self._run_change(lambda: [
                ChangeResult(r.case_id, r.result, r.detail) for r in self.api.assign(
                    ids, to_user, force=bool(reason), reason=reason).results])

        dialog.accepted.connect(go)
        self._open(dialog)

    def prioritise_selected(self) -> None:
        cases = self._selection_or_warn()
        if not cases:
            return
        picker = PriorityDialog(len(cases), cases[0].priority, self)
        picker.accepted.connect(lambda: self._confirm_priority(cases, picker.priority()))
        self._open(picker)

    def _confirm_priority(self, cases: Sequence[CaseRow | CaseKey], priority: int) -> None:
        dialog = ConfirmDialog(self.tr("Change priority"), confirm_priority(cases, priority),
                               self)
        ids = [c.case_id for c in cases]

        # translated here, on the GUI thread; filled in on the worker with the server's count
        detail = self.tr("{changed} of {count} changed to {priority}")

        def change() -> list[ChangeResult]:
            changed = self.api.set_priority(ids, priority).changed
            text = detail.format(changed=changed, count=len(ids), priority=priority)
            return [ChangeResult(i, "priority", text) for i in ids]

        dialog.accepted.connect(lambda: self._run_change(change))
        self._open(dialog)

    def reveal_selected_phones(self) -> None:
        """One case's numbers in full, after the supervisor says why (the server logs it)."""
        cases = self._selection_or_warn()
        if len(cases) != 1:
            if cases:
                self.status.setText(self.tr("Select one case to see its numbers."))
            return
        case = cases[0]
        dialog = QInputDialog(self)
        dialog.setWindowTitle(self.tr("Show phone numbers"))
        dialog.setLabelText(self.tr("Why do you need the full numbers of case {case}? "
                                    "(required, kept in the audit log)").format(
                                        case=case.case_id))
        dialog.textValueSelected.connect(lambda reason: self._reveal(case.case_id, reason))
        self._open(dialog)

    def _reveal(self, case_id: int, reason: str) -> None:
        if len(reason.strip()) < REVEAL_REASON_MIN:
            self.status.setText(self.tr("Not shown: write why you need the numbers (at least "
                                        "{n} characters).").format(n=REVEAL_REASON_MIN))
            return
        self.status.setText(self.tr("Asking the server…"))
        self.runner.run(lambda: self.api.reveal_phones(case_id, reason.strip()),
                        self._show_phones, self._failed, owner=self)

    def _show_phones(self, revealed: RevealedPhones) -> None:
        self.status.setText("")
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("Phone numbers"),
                          self.tr("Case {case}:\n{numbers}").format(
                              case=revealed.case_id, numbers="\n".join(revealed.phones)),
                          QMessageBox.StandardButton.Close, self)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._open(box)

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.open()

    def _run_change(self, change: Callable[[], list[ChangeResult]]) -> None:
        self.status.setText(self.tr("Saving…"))
        self.runner.run(change, self._changed, self._failed, owner=self)

    def _changed(self, results: list[ChangeResult]) -> None:
        self.matching = None  # done: the next change starts from a new choice
        self.results.set_rows(results)
        counts: dict[str, int] = {}
        for result in results:
            label = result_label(result.result)
            counts[label] = counts.get(label, 0) + 1
        self.result_summary.setText(self.tr("Last change: {results}").format(
            results=", ".join(f"{label} {n:,}" for label, n in counts.items())))
        self.status.setText("")
        self.changed.emit()
        self.reload()
