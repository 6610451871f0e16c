"""The Review tab: the interviews waiting for review, oldest first; read one's answers, then
approve it or send it back to its enumerator with a comment (required to send back)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.desktop.display import outcome_label, thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.supervisor.answers import presenter_for
from cati_app.desktop.supervisor.list_loader import ListLoader
from cati_app.desktop.supervisor.review import COMMENT_MAX, decision_label
from cati_app.desktop.table_model import Column, RowTableModel
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi
    from cati_app.core.protocol_supervision import ReviewItem, ReviewList, ReviewResponse

PAGE_SIZE = 200

REVIEW_COLUMNS: list[Column[ReviewItem]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Case"), lambda r: r.case_id, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Service"), lambda r: r.service_code),
    Column(QT_TRANSLATE_NOOP("Column", "Enumerator"), lambda r: r.enumerator),
    Column(QT_TRANSLATE_NOOP("Column", "Completion"), lambda r: outcome_label(r.completion)),
    Column(QT_TRANSLATE_NOOP("Column", "Ended (BTT)"),
           lambda r: thimphu_time(r.ended_at or r.received_at)),
    Column(QT_TRANSLATE_NOOP("Column", "Problems"), lambda r: r.problems, numeric=True,
           tooltip=QT_TRANSLATE_NOOP(
               "Column", "what the server found wrong against the questionnaire")),
]
ANSWER_COLUMNS: list[Column[tuple[str, str]]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Question"), lambda pair: pair[0]),
    Column(QT_TRANSLATE_NOOP("Column", "Answer"), lambda pair: pair[1]),
]


def answer_rows(item: ReviewItem) -> list[tuple[str, str]]:
    """(question, answer) in script order, shown as the Conflicts tab shows them."""
    return presenter_for(item.questionnaire_id).rows(item.answers)


class ReviewPage(QWidget):
    reviewed = Signal(object)  # ReviewResponse
    # how many interviews wait for review in the listed service(s) (for the tab's title)
    counted = Signal(int)

    def __init__(self, api: SupervisorApi, runner: BackgroundRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.model: RowTableModel[ReviewItem] = RowTableModel(REVIEW_COLUMNS, self)
        self.answers: RowTableModel[tuple[str, str]] = RowTableModel(ANSWER_COLUMNS, self)
        self.chosen: ReviewItem | None = None
        self.lister: ListLoader[ReviewList] = ListLoader(
            runner, self, self._listed, lambda error: self.list_status.setText(f"⚠ {error}"))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_list())
        splitter.addWidget(self._build_detail())
        splitter.setSizes([620, 560])
        QVBoxLayout(self).addWidget(splitter)
        self._show(None)

    def _build_list(self) -> QWidget:
        self.service = QComboBox()
        self.service.addItem(self.tr("All services"), "")
        self.service.currentIndexChanged.connect(lambda _i: self.refresh())
        refresh = QPushButton(self.tr("Refresh"))
        refresh.clicked.connect(self.refresh)
        self.list_status = QLabel("", objectName="reviewListStatus")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.choose(current.row()))
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Service")))
        top.addWidget(self.service, 1)
        top.addWidget(refresh)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.list_status)
        return box

    def _build_detail(self) -> QWidget:
        self.heading = QLabel("", objectName="reviewHeading", wordWrap=True)
        self.answer_view = QTableView()
        self.answer_view.setModel(self.answers)
        self.answer_view.verticalHeader().hide()
        self.answer_view.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.answer_view.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents)
        self.answer_view.setWordWrap(True)
        self.comment = QPlainTextEdit(placeholderText=self.tr(
            "Comment for the enumerator: what to correct (required to send back)"))
        self.comment.setMaximumHeight(90)
        self.comment.textChanged.connect(self._update_buttons)
        self.approve_button = QPushButton(self.tr("Approve"))
        self.reject_button = QPushButton(self.tr("Send back for correction"))
        self.approve_button.clicked.connect(self.approve)
        self.reject_button.clicked.connect(self.send_back)
        self.status = QLabel("", objectName="reviewStatus", wordWrap=True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.reject_button)
        buttons.addStretch(1)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.addWidget(self.heading)
        layout.addWidget(self.answer_view, 1)
        layout.addWidget(self.comment)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        return box

    # --- listing ---------------------------------------------------------------------------

    def set_services(self, services: list[tuple[str, str]]) -> None:
        chosen = self.service.currentData()
        self.service.blockSignals(True)
        self.service.clear()
        self.service.addItem(self.tr("All services"), "")
        for code, name in services:
            self.service.addItem(f"{name} ({code})", code)
        self.service.setCurrentIndex(max(self.service.findData(chosen), 0))
        self.service.blockSignals(False)

    def refresh(self, *, automatic: bool = False) -> None:
        """``automatic`` (a timer, a tab shown): the last count stays on screen meanwhile."""
        service = self.service.currentData() or None
        if self.lister.load(lambda: self.api.interviews_for_review("pending", service,
                                                                   limit=PAGE_SIZE),
                            automatic=automatic) and not automatic:
            self.list_status.setText(self.tr("Loading…"))

    def reading(self) -> bool:
        """An interview is open: the list is not redrawn under the supervisor."""
        return self.chosen is not None

    def _listed(self, listing: ReviewList) -> None:
        self.counted.emit(listing.total)
        keep = self.chosen.version_uuid if self.chosen else None
        self.model.set_rows(listing.interviews)
        shown = len(listing.interviews)
        text = (self.tr("{total} interview(s) waiting for review (the oldest {shown} shown).")
                if listing.total > shown else
                self.tr("{total} interview(s) waiting for review."))
        self.list_status.setText(text.format(total=listing.total, shown=shown))
        rows = [r.version_uuid for r in listing.interviews]
        if keep in rows:
            self.table.selectRow(rows.index(keep))
        else:
            self._show(None)

    def choose(self, row: int) -> None:
        self._show(self.model.row_at(row) if 0 <= row < self.model.rowCount() else None)

    def _show(self, item: ReviewItem | None) -> None:
        if item is not self.chosen:
            self.status.clear()
        self.chosen = item
        self.answers.set_rows(answer_rows(item) if item else [])
        self.answer_view.resizeRowsToContents()
        self.heading.setText(
            self.tr("Choose an interview on the left to read its answers.") if item is None
            else self.tr("<b>Case {case}</b> · {service} · by {enumerator} · {completion} · "
                         "{problems} problem(s)").format(
                case=item.case_id, service=item.service_code, enumerator=item.enumerator,
                completion=outcome_label(item.completion), problems=item.problems))
        self._update_buttons()

    # --- deciding --------------------------------------------------------------------------

    def _comment_text(self) -> str:
        return self.comment.toPlainText().strip()[:COMMENT_MAX]

    def _update_buttons(self) -> None:
        self.approve_button.setEnabled(self.chosen is not None)
        self.reject_button.setEnabled(self.chosen is not None and bool(self._comment_text()))

    def approve(self) -> None:
        if self.chosen is not None:
            uuid, comment = self.chosen.interview_uuid, self._comment_text()
            self._send(lambda: self.api.approve(uuid, comment))

    def send_back(self) -> None:
        if self.chosen is None:
            return
        if not self._comment_text():
            self.status.setText(self.tr("Write what the enumerator should correct first."))
            return
        uuid, comment = self.chosen.interview_uuid, self._comment_text()
        self._send(lambda: self.api.reject(uuid, comment))

    def _send(self, call: Callable[[], ReviewResponse]) -> None:
        self.approve_button.setEnabled(False)
        self.reject_button.setEnabled(False)
        self.status.setText(self.tr("Saving…"))
        self.runner.run(call, self._decided, self._failed, owner=self)

    def _decided(self, reply: ReviewResponse) -> None:
        text = (self.tr("Case {case}: {decision}; case {case} is now with {holder}.")
                if reply.review_status == "rejected" and reply.holder
                else self.tr("Case {case}: {decision}."))
        self.status.setText(text.format(case=reply.case_id, holder=reply.holder,
                                        decision=decision_label(reply.review_status)))
        self.comment.clear()
        rows = [r for r in self.model.rows() if r.interview_uuid != reply.interview_uuid]
        self.model.set_rows(rows)
        self.chosen = None
        self.answers.set_rows([])
        self.heading.setText(self.tr("Choose the next interview on the left."))
        self.list_status.setText(
            self.tr("{count} interview(s) left in this list.").format(count=len(rows)))
        self._update_buttons()
        self.reviewed.emit(reply)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(self.tr("⚠ Not saved: {error}").format(error=error))
        self._update_buttons()
