"""The interviewer script on screen, one item at a time, driven from the keyboard.

Keys: 1-5 pick a rating (or the n-th choice), D Don't know, R Refused, Y/N yes or no, typing
for numbers and text, Enter next, Backspace back (PageUp or Alt+Left while typing text),
Ctrl+L switches English/Dzongkha, Ctrl+E ends the interview early (partial or break-off is
derived from the answers, DESIGN.md §3.5).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QIntValidator, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cati_app.core.outcomes import BY_KEY
from cati_app.core.questionnaire import Item
from cati_app.desktop.fonts import DEFAULT_FONT_POINTS, choice_font, script_font
from cati_app.desktop.interview_session import InterviewSession
from cati_app.desktop.theme import WARNING_COLOUR

LANGUAGE_NAMES = {"en": "English", "dz": "Dzongkha"}
ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
#: typed text is saved this long after the last keystroke, and at once on Enter
TEXT_SAVE_DELAY_MS = 1500


class ScriptRunner(QWidget):
    finished = Signal(str)  # the derived outcome key

    def __init__(self, session: InterviewSession, dzongkha_family: str | None,
                 parent: QWidget | None = None, *, font_points: int = DEFAULT_FONT_POINTS,
                 header: str = "", correction: str = "") -> None:
        super().__init__(parent)
        self.session = session
        self._dz_family = dzongkha_family
        self.font_points = font_points
        self._build()
        self.header.setText(header)
        self.header.setVisible(bool(header))
        self.correction.setText(correction)
        self.correction.setVisible(bool(correction))
        self._text_timer = QTimer(self, singleShot=True, interval=TEXT_SAVE_DELAY_MS)
        self._text_timer.timeout.connect(self._save_typed_text)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.show_current()

    def _build(self) -> None:
        # who is on the line, about what, on which number: in view the whole interview
        self.header = QLabel(objectName="scriptHeader", wordWrap=True)
        header_font = self.header.font()
        header_font.setPointSizeF(max(header_font.pointSizeF(), 9.0) * 1.2)
        header_font.setBold(True)
        self.header.setFont(header_font)
        self.correction = QLabel(objectName="scriptCorrection", wordWrap=True)
        self.correction.setStyleSheet(f"color: {WARNING_COLOUR}; font-weight: bold;")
        self.position = QLabel()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.language = QComboBox()
        for code in self.session.q.languages:
            self.language.addItem(LANGUAGE_NAMES.get(code, code), code)
        self.language.setCurrentIndex(self.session.q.languages.index(self.session.language))
        self.language.currentIndexChanged.connect(self._on_language_chosen)
        self.language.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.question = QLabel(objectName="question", wordWrap=True)
        self.question.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.hint = QLabel(objectName="hint", wordWrap=True)
        hint_font = self.hint.font()
        hint_font.setItalic(True)
        self.hint.setFont(hint_font)
        self.choices = QListWidget(focusPolicy=Qt.FocusPolicy.NoFocus, objectName="choices")
        self.choices.setSpacing(3)
        self.choices.setAlternatingRowColors(True)
        self.entry = QLineEdit(objectName="entry")
        self.entry.installEventFilter(self)
        self.entry.textEdited.connect(lambda _text: self._text_timer.start())
        self.message = QLabel(objectName="scriptMessage", wordWrap=True)
        self.message.setStyleSheet(f"color: {WARNING_COLOUR};")
        back = QPushButton("◀ Back", focusPolicy=Qt.FocusPolicy.NoFocus)
        back.clicked.connect(self.go_back)
        forward = QPushButton("Next ▶ (Enter)", focusPolicy=Qt.FocusPolicy.NoFocus)
        forward.clicked.connect(self.go_next)
        end = QPushButton("End early (Ctrl+E)", focusPolicy=Qt.FocusPolicy.NoFocus)
        end.clicked.connect(self.end_early)
        top = QHBoxLayout()
        top.addWidget(self.position, 1)
        top.addWidget(self.language)
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(end)
        buttons.addWidget(forward)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.correction)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.question)
        layout.addWidget(self.hint)
        layout.addWidget(self.choices, 1)
        layout.addWidget(self.entry)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    # --- showing ---------------------------------------------------------------------------

    def show_current(self) -> None:
        item = self.session.current
        self.message.clear()
        if item is None:
            self.question.setText("The script has no item to ask.")
            return
        font = script_font(self.session.language, self._dz_family, QFont(self.font()),
                           self.font_points)
        self.question.setFont(font)
        self.choices.setFont(choice_font(font))
        self.question.setText(self.session.text(item.label))
        self.hint.setText(self.session.text(item.hint) if item.hint else "")
        self.hint.setVisible(bool(item.hint))
        self._show_answer_area(item)
        position, total = self.session.progress()
        self.position.setText(f"Question {position} of {total} · {item.name}")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(position)

    def _show_answer_area(self, item: Item) -> None:
        answer = self.session.answer_of(item)
        self.choices.clear()
        self.choices.setVisible(item.type in ("select_one", "yes_no"))
        self.entry.setVisible(item.type in ("integer", "text"))
        for key, name, label in self._options(item):
            self.choices.addItem(f"{key}\t{label}")
            if name == answer:
                self.choices.setCurrentRow(self.choices.count() - 1)
        if item.type in ("integer", "text"):
            self.entry.setValidator(QIntValidator(self.entry) if item.type == "integer" else None)
            self.entry.setText("" if answer is None else str(answer))
            self.entry.setFocus()
        else:
            self.setFocus()

    def _options(self, item: Item) -> list[tuple[str, str, str]]:
        """(key to press, choice name, label) for the item's answers."""
        if item.type == "yes_no":
            return [("Y", "yes", "Yes"), ("N", "no", "No")]
        if item.type != "select_one":
            return []
        options = []
        for position, choice in enumerate(self.session.q.choices_for(item), start=1):
            key = {"dk": "D", "ref": "R"}.get(choice.name, str(position))
            options.append((key, choice.name, self.session.text(choice.label)))
        return options

    # --- keys ------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt name
        if not self._handle_key(event):
            super().keyPressEvent(event)

    def eventFilter(self, watched, event) -> bool:  # noqa: ANN001 - Qt signature
        if watched is self.entry and isinstance(event, QKeyEvent) \
                and event.type() == QKeyEvent.Type.KeyPress:
            alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
            back = event.key() == Qt.Key.Key_PageUp or (event.key() == Qt.Key.Key_Left and alt)
            if event.key() in ENTER or back or self._is_command(event):
                self._save_typed_text()
                return self._handle_key(event)
        return super().eventFilter(watched, event)

    @staticmethod
    def _is_command(event: QKeyEvent) -> bool:
        return bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier) and \
            event.key() in (Qt.Key.Key_L, Qt.Key.Key_E)

    def _handle_key(self, event: QKeyEvent) -> bool:
        key, ctrl = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if ctrl and key == Qt.Key.Key_L:
            self.toggle_language()
        elif ctrl and key == Qt.Key.Key_E:
            self.end_early()
        elif key in ENTER:
            self.go_next()
        elif key in (Qt.Key.Key_Backspace, Qt.Key.Key_PageUp, Qt.Key.Key_Left):
            self.go_back()
        elif not ctrl and event.text():
            return self._answer_by_key(event.text().upper())
        else:
            return False
        return True

    def _answer_by_key(self, pressed: str) -> bool:
        item = self.session.current
        if item is None:
            return False
        for key, name, _label in self._options(item):
            if key == pressed:
                self.session.answer(name)
                self._show_answer_area(item)
                self.message.clear()
                return True
        return False

    # --- moving ----------------------------------------------------------------------------

    def _save_typed_text(self) -> None:
        self._text_timer.stop()
        item = self.session.current
        if item is None or item.type not in ("integer", "text"):
            return
        raw = self.entry.text().strip()
        value: object = raw
        if item.type == "integer" and raw:
            try:
                value = int(raw)
            except ValueError:
                self.message.setText("Type a whole number.")
                return
        if value != (self.session.answer_of(item) or ""):
            self.session.answer(value)

    def go_next(self) -> None:
        self._save_typed_text()
        problem = self.session.problem_with_current()
        if problem:
            self.message.setText(problem)
            return
        if self.session.advance() is None:
            self._finish()
            return
        self.show_current()

    def go_back(self) -> None:
        self._save_typed_text()
        if self.session.back() is not None:
            self.show_current()

    def end_early(self) -> None:
        self._save_typed_text()
        confirm = QMessageBox.question(
            self, "End the interview early?",
            "End the interview now? What was answered is kept; it counts as a partial or a "
            "break-off depending on how many ratings were given.")
        if confirm == QMessageBox.StandardButton.Yes:
            self._finish()

    def _finish(self) -> None:
        outcome = self.session.finish()
        label = BY_KEY[outcome].label if outcome in BY_KEY else outcome
        self.question.setText(f"Interview saved: {label}.")
        self.choices.hide()
        self.entry.hide()
        self.finished.emit(outcome)

    def set_font_points(self, points: int) -> None:
        """Change the script's text size now (the settings dialog previews it live)."""
        self.font_points = points
        self._save_typed_text()
        self.show_current()

    def toggle_language(self) -> None:
        self.language.setCurrentIndex((self.language.currentIndex() + 1) % self.language.count())

    def _on_language_chosen(self, index: int) -> None:
        self._save_typed_text()
        self.session.set_language(str(self.language.itemData(index)))
        self.show_current()
