"""The case card: who to call, about which service, on which numbers, and what happened so far."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cati_app.core.phones import format_for_reading
from cati_app.desktop.display import day_text, language_name, outcome_label, thimphu_time
from cati_app.desktop.theme import WARNING_COLOUR

# lupdate finds translate("Context", "text") calls by this name
translate = QCoreApplication.translate

if TYPE_CHECKING:
    from cati_app.client.store.views import LocalCase


class CaseCard(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.respondent = QLabel(objectName="respondent")
        big = self.respondent.font()
        big.setPointSizeF(max(big.pointSizeF(), 9.0) * 1.5)
        big.setBold(True)
        self.respondent.setFont(big)
        selectable = Qt.TextInteractionFlag.TextSelectableByMouse
        self.fields = {name: QLabel(textInteractionFlags=selectable)
                       for name in ("service", "office", "dzongkhag", "date_availed", "language",
                                    "next_call", "correction")}
        # the respondent's language, prominently (issue 18): the first thing said decides
        # whether the call can go on
        language_font = QFont(big)
        language_font.setPointSizeF(big.pointSizeF() * 0.8)
        self.fields["language"].setFont(language_font)
        self.fields["language"].setObjectName("caseLanguage")
        self.fields["language"].setWordWrap(True)
        self.fields["correction"].setWordWrap(True)
        self.fields["correction"].setStyleSheet(f"color: {WARNING_COLOUR}; font-weight: bold;")
        self.details = details = QFormLayout()
        for name, label in (("service", self.tr("Service")), ("office", self.tr("Office")),
                            ("dzongkhag", self.tr("Dzongkhag")),
                            ("date_availed", self.tr("Date availed")),
                            ("language", self.tr("Speaks")),
                            ("next_call", self.tr("Next call")),
                            ("correction", self.tr("Supervisor"))):
            details.addRow(label, self.fields[name])
        self.phones = QListWidget()
        self.phones.setObjectName("phones")
        self.phones.setMaximumHeight(90)
        phone_font = self.phones.font()
        phone_font.setPointSizeF(max(phone_font.pointSizeF(), 9.0) * 1.4)
        phone_font.setFamilies(["DejaVu Sans Mono", "Consolas", "monospace"])
        self.phones.setFont(phone_font)
        self.history = QTreeWidget()
        self.history.setObjectName("history")
        self.history.setHeaderLabels([self.tr("When (BTT)"), self.tr("Outcome"), self.tr("Number"),
                                      self.tr("By"), self.tr("Note")])
        self.history.setRootIsDecorated(False)
        history_box = QGroupBox(self.tr("Attempts"))
        QVBoxLayout(history_box).addWidget(self.history)
        layout = QVBoxLayout(self)
        layout.addWidget(self.respondent)
        layout.addLayout(details)
        layout.addWidget(QLabel(self.tr("Phone numbers (↑/↓ to choose, Ctrl+D to dial)")))
        layout.addWidget(self.phones)
        layout.addWidget(history_box, 1)
        self.show_case(None)

    def show_case(self, case: LocalCase | None) -> None:
        self.setEnabled(case is not None)
        if case is None:
            self.respondent.setText(self.tr("No case selected"))
            for label in self.fields.values():
                label.clear()
            self.phones.clear()
            self.history.clear()
            return
        self.respondent.setText(case.respondent_name or self.tr("(name removed)"))
        self.fields["service"].setText(case.service_name or case.service_code)
        self.fields["office"].setText(case.office)
        self.fields["dzongkhag"].setText(case.dzongkhag)
        self.fields["date_availed"].setText(day_text(case.date_availed))
        self.fields["language"].setText(_language_text(case))
        self.fields["language"].setStyleSheet(
            f"color: {WARNING_COLOUR};" if case.language_may_not_match else "")
        self.fields["next_call"].setText(_next_call_text(case))
        self.fields["correction"].setText(_correction_text(case))
        self.details.setRowVisible(self.fields["correction"], bool(case.correction))
        self._show_phones(case)
        self._show_history(case)

    def selected_phone_index(self) -> int:
        return max(self.phones.currentRow(), 0)

    def selected_phone(self) -> str | None:
        item = self.phones.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def _show_phones(self, case: LocalCase) -> None:
        """A number on the do-not-call register comes from the server blank, in its place (so
        the others keep their positions, which attempts refer to): shown so, never dialled."""
        self.phones.clear()
        for position, number in enumerate(case.phones, start=1):
            if number:
                item = QListWidgetItem(f"{position}.  {format_for_reading(number)}")
            else:
                item = QListWidgetItem(self.tr("{position}.  not to be called (do-not-call "
                                               "register)").format(position=position))
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            item.setData(Qt.ItemDataRole.UserRole, number)
            self.phones.addItem(item)
        callable_rows = [row for row, number in enumerate(case.phones) if number]
        if callable_rows:
            wanted = min(case.next_phone_index, len(case.phones) - 1)
            self.phones.setCurrentRow(wanted if wanted in callable_rows else callable_rows[0])

    def _show_history(self, case: LocalCase) -> None:
        self.history.clear()
        for attempt in sorted(case.attempts, key=lambda a: a.started_at, reverse=True):
            pending = self.tr(" (not yet uploaded)") if attempt.pending else ""
            row = QTreeWidgetItem([thimphu_time(attempt.started_at),
                                   f"{outcome_label(attempt.outcome)} ({attempt.aapor_code})",
                                   str(attempt.phone_index + 1), attempt.enumerator + pending,
                                   attempt.note])
            row.setToolTip(4, attempt.note)
            self.history.addTopLevelItem(row)
        for column in range(4):
            self.history.resizeColumnToContents(column)


def _next_call_text(case: LocalCase) -> str:
    if case.appointment is not None:
        return translate("CaseCard", "appointment {time} ({kind}, booked by {who})").format(
            time=thimphu_time(case.appointment.at), kind=case.appointment.kind,
            who=case.appointment.booked_by)
    return thimphu_time(case.next_call_at) if case.next_call_at else \
        translate("CaseCard", "any time in a window")


def _correction_text(case: LocalCase) -> str:
    if not case.correction:
        return ""
    reason = case.correction.comment
    if reason:
        return translate("CaseCard", "returned for correction: {reason}").format(reason=reason)
    return translate("CaseCard", "returned for correction")


def _language_text(case: LocalCase) -> str:
    text = language_name(case.language) if case.language else ""
    if case.language_may_not_match:
        text = translate("CaseCard", "{language}: language may not match (no speaker was "
                         "on shift; if you cannot interview, code G, language barrier)"
                         ).format(language=text)
    return text

