"""Approve an interview, or send it back to its enumerator for correction with a comment."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi
    from cati_app.core.protocol_supervision import ReviewResponse

COMMENT_MAX = 2000
# source text, translated where shown (decision_label)
DECISIONS = {"approved": QT_TRANSLATE_NOOP("ReviewDecision", "Approved"),
             "rejected": QT_TRANSLATE_NOOP("ReviewDecision", "Sent back for correction"),
             "pending": QT_TRANSLATE_NOOP("ReviewDecision", "Waiting for review")}


def decision_label(status: str) -> str:
    return QCoreApplication.translate("ReviewDecision", DECISIONS[status]) \
        if status in DECISIONS else status


class ReviewDialog(QDialog):
    """Opened from a conflict's version (the id filled in) or from the menu (typed in)."""

    reviewed = Signal(object)  # ReviewResponse

    def __init__(self, api: SupervisorApi, runner: BackgroundRunner, interview_uuid: str = "",
                 about: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.result_reply: ReviewResponse | None = None
        self.setWindowTitle(self.tr("Review interview"))
        self.interview = QLineEdit(interview_uuid, placeholderText=self.tr("interview id (UUID)"))
        self.comment = QPlainTextEdit(placeholderText=self.tr(
            "Comment for the enumerator: what to correct (required to send back)"))
        self.comment.textChanged.connect(self._update_buttons)
        self.interview.textChanged.connect(self._update_buttons)
        self.status = QLabel("", objectName="reviewStatus", wordWrap=True)
        self.approve_button = QPushButton(self.tr("Approve"))
        self.reject_button = QPushButton(self.tr("Send back for correction"))
        close = QPushButton(self.tr("Close"))
        self.approve_button.clicked.connect(self.approve)
        self.reject_button.clicked.connect(self.send_back)
        close.clicked.connect(self.reject)
        form = QFormLayout()
        if about:
            form.addRow(QLabel(about, wordWrap=True))
        form.addRow(self.tr("Interview"), self.interview)
        form.addRow(self.tr("Comment"), self.comment)
        buttons = QHBoxLayout()
        for button in (self.approve_button, self.reject_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(520, 300)
        self._update_buttons()

    def _comment_text(self) -> str:
        return self.comment.toPlainText().strip()[:COMMENT_MAX]

    def _update_buttons(self) -> None:
        has_id = bool(self.interview.text().strip())
        self.approve_button.setEnabled(has_id)
        self.reject_button.setEnabled(has_id and bool(self._comment_text()))

    def approve(self) -> None:
        uuid, comment = self.interview.text().strip(), self._comment_text()
        self._send(lambda: self.api.approve(uuid, comment))

    def send_back(self) -> None:
        uuid, comment = self.interview.text().strip(), self._comment_text()
        if not comment:
            self.status.setText(self.tr("Write what the enumerator should correct first."))
            return
        self._send(lambda: self.api.reject(uuid, comment))

    def _send(self, call: Callable[[], ReviewResponse]) -> None:
        self.approve_button.setEnabled(False)
        self.reject_button.setEnabled(False)
        self.status.setText(self.tr("Saving…"))
        self.runner.run(call, self._done, self._failed, owner=self)

    def _done(self, reply: ReviewResponse) -> None:
        self.result_reply = reply
        decision = decision_label(reply.review_status)
        text = (self.tr("{decision}; case {case} is now with {holder}.") if reply.holder
                else self.tr("{decision}."))
        self.status.setText(text.format(decision=decision, case=reply.case_id,
                                        holder=reply.holder))
        self._update_buttons()
        self.reviewed.emit(reply)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(self.tr("⚠ Not saved: {error}").format(error=error))
        self._update_buttons()
