"""Coding a call's outcome by its catalogue key, with a note where one is required and the
appointment booking for a call-back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from cati_app.core.calendar import CallingCalendar
from cati_app.core.languages import LANGUAGES
from cati_app.core.outcomes import Outcome, by_shortcut, pickable
from cati_app.desktop.display import language_name
from cati_app.desktop.enumerator.appointment import (
    AppointmentEditor,
    AppointmentRefused,
    check_appointment,
)
from cati_app.desktop.theme import WARNING_COLOUR


@dataclass(frozen=True)
class OutcomeChoice:
    outcome: str
    note: str
    appointment_at: datetime | None = None
    appointment_kind: str | None = None
    #: the respondent's language, with the outcome ``language_needed`` (issue 18)
    language: str | None = None


#: the outcome list's keys as the Help ▸ Keys list shows them
OUTCOME_KEYS = (
    ("the underlined letter", "pick that outcome"),
    ("Enter", "save an outcome that needs no note"),
    ("Ctrl+Enter", "save from the note box"),
    ("Esc", "close without saving"),
)

class OutcomePicker(QDialog):
    """Press an outcome's letter, type a note if asked, Enter (Ctrl+Enter in the note) to save."""

    def __init__(self, now: datetime, calendar: CallingCalendar,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Call outcome"))
        self._now = now
        self._calendar = calendar
        self.choice: OutcomeChoice | None = None
        self.outcomes = QListWidget()
        for outcome in pickable():
            item = QListWidgetItem(f"[{outcome.shortcut}]  {outcome.label}  ({outcome.aapor_code})")
            item.setData(Qt.ItemDataRole.UserRole, outcome.key)
            self.outcomes.addItem(item)
        self.outcomes.currentRowChanged.connect(self._on_outcome_changed)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText(self.tr("Note (Ctrl+Enter to save)"))
        self.note.setMaximumHeight(80)
        self.appointment = AppointmentEditor(now)
        self.appointment.hide()
        self.language_label = QLabel(self.tr("The respondent speaks (↑/↓, then Enter):"))
        self.language = QComboBox()
        self.language.setObjectName("neededLanguage")
        self.language.addItem(self.tr("— choose the language —"), None)
        for code in LANGUAGES:
            self.language.addItem(language_name(code), code)
        self.language_label.setBuddy(self.language)
        for widget in (self.language_label, self.language):
            widget.hide()
        self.message = QLabel()
        self.message.setObjectName("outcomeMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {WARNING_COLOUR};")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Press the letter of the outcome:")))
        layout.addWidget(self.outcomes)
        layout.addWidget(self.note)
        layout.addWidget(self.appointment)
        layout.addWidget(self.language_label)
        layout.addWidget(self.language)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.outcomes.installEventFilter(self)
        self.note.installEventFilter(self)
        self.outcomes.setFocus()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.activateWindow()
        self.outcomes.setFocus()

    def selected(self) -> Outcome | None:
        # None when nothing is current (Qt's type stubs leave that out)
        item: QListWidgetItem | None = self.outcomes.currentItem()
        if item is None:
            return None
        key = item.data(Qt.ItemDataRole.UserRole)
        return next(o for o in pickable() if o.key == key)

    def select(self, key: str) -> None:
        for row in range(self.outcomes.count()):
            if self.outcomes.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.outcomes.setCurrentRow(row)
                return
        raise KeyError(key)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            if watched is self.outcomes and self._on_list_key(event):
                return True
            if watched is self.note and self._on_note_key(event):
                return True
        return super().eventFilter(watched, event)

    def _on_list_key(self, event: QKeyEvent) -> bool:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.try_accept()
            return True
        picked = by_shortcut(event.text()) if event.text().isalpha() else None
        if picked is None:
            return False
        self.select(picked.key)
        if picked.needs_note:
            self.note.setFocus()
        elif picked.books_appointment:
            self.appointment.date_edit.setFocus()
        elif picked.refers_language:
            self.language.setFocus()
        return True

    def _on_note_key(self, event: QKeyEvent) -> bool:
        ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and ctrl:
            self.try_accept()
            return True
        return False

    def _on_outcome_changed(self, _row: int) -> None:
        outcome = self.selected()
        self.message.clear()
        self.appointment.setVisible(bool(outcome and outcome.books_appointment))
        for widget in (self.language_label, self.language):
            widget.setVisible(bool(outcome and outcome.refers_language))
        required = bool(outcome and outcome.needs_note)
        self.note.setPlaceholderText(self.tr("Note (required; Ctrl+Enter to save)") if required
                                     else self.tr("Note (optional; Ctrl+Enter to save)"))

    def try_accept(self) -> None:
        """Accept when the choice is complete; otherwise say what is missing and stay open."""
        outcome = self.selected()
        note = self.note.toPlainText().strip()
        if outcome is None:
            self.message.setText(self.tr("Choose an outcome first: press its letter."))
            return
        if outcome.needs_note and not note:
            self.message.setText(self.tr("A note is required for “{outcome}”: say what happened.")
                                 .format(outcome=outcome.label))
            self.note.setFocus()
            return
        at = kind = None
        if outcome.books_appointment:
            try:
                at = check_appointment(self.appointment.chosen_at(), self._now, self._calendar)
            except AppointmentRefused as refused:
                self.message.setText(str(refused))
                self.appointment.time_edit.setFocus()
                return
            kind = self.appointment.chosen_kind()
        language = self.language.currentData() if outcome.refers_language else None
        if outcome.refers_language and language is None:
            self.message.setText(self.tr("Choose the language the respondent speaks: the case "
                                         "goes to someone who speaks it."))
            self.language.setFocus()
            return
        self.choice = OutcomeChoice(outcome.key, note, at, kind, language)
        self.accept()
