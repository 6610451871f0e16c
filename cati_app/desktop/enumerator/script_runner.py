"""The interviewer script on screen, one item at a time, driven from the keyboard.

Keys: 1-9 (then letters) pick a rating or the n-th choice, D Don't know, R Refused, Y/N yes or
no; on a several-answers item the same keys tick and untick, Up/Down move the highlight and
Space ticks the highlighted one; typing for numbers and text; Enter next (after the answer's
checks: required, min/max, the item's constraint), Backspace back (PageUp or Alt+Left while
typing), Ctrl+L switches English/Dzongkha, Ctrl+E ends the interview early (partial or
break-off is derived from the answers, DESIGN.md §3.5).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRegularExpression, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFont,
    QIntValidator,
    QKeyEvent,
    QRegularExpressionValidator,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cati_app.client.store import StoreError
from cati_app.core.outcomes import BY_KEY
from cati_app.core.protocol import MAX_ANSWER_CHARS
from cati_app.core.questionnaire import Item
from cati_app.desktop.enumerator.interview_session import TYPED_TYPES, InterviewSession, number_text
from cati_app.desktop.fonts import DEFAULT_FONT_POINTS, choice_font, script_font
from cati_app.desktop.theme import WARNING_COLOUR

#: the script's keys as the Help ▸ Keys list shows them (English source text, translated there)
SCRIPT_KEYS = (
    ("1–9, then A, B, …", "pick a rating or the n-th answer (tick or untick on a several-answers "
                          "question)"),
    ("D / R", "Don't know / Refused"),
    ("Y / N", "Yes / No"),
    ("↑ / ↓, Space", "move the highlight and tick it (several-answers question)"),
    ("Enter", "next question (after the answer's checks)"),
    ("Shift+Enter", "a new line in a comment"),
    ("Backspace, PageUp, Alt+←", "previous question"),
    ("Ctrl+L", "switch English / Dzongkha"),
    ("Ctrl+E", "end the interview early (what was answered is kept)"),
    ("Ctrl+Q", "back to the queue (the interview stays as a draft to resume)"),
)
ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
# typed text is saved this long after the last keystroke, and at once on Enter
TEXT_SAVE_DELAY_MS = 1500
# what a decimal entry lets through: a point, or the comma many type by habit
DECIMAL_PATTERN = r"-?\d*(?:[.,]\d*)?"
CHOICE_TYPES_SHOWN = ("select_one", "select_multiple", "yes_no")
NAME_ROLE = Qt.ItemDataRole.UserRole


class CommentBox(QPlainTextEdit):
    """A free-text answer on several lines. Enter still moves on, as everywhere in the script
    (the runner's event filter takes it); Shift+Enter starts a new line. Capped like the
    one-line entry at the length the server accepts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="comment")
        self.setTabChangesFocus(True)
        self.setMaximumHeight(self.fontMetrics().lineSpacing() * 6)
        self.textChanged.connect(self._cap)

    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:  # noqa: N802 - the same call as QLineEdit's
        self.setPlainText(text)
        self.moveCursor(QTextCursor.MoveOperation.End)

    def _cap(self) -> None:
        if len(self.toPlainText()) > MAX_ANSWER_CHARS:
            self.blockSignals(True)
            self.setText(self.toPlainText()[:MAX_ANSWER_CHARS])
            self.blockSignals(False)


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
        self._text_timer.timeout.connect(
            lambda: self._guarded(lambda: self._save_typed_text(quiet=True)))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.show_current()

    def _language_name(self, code: str) -> str:
        return {"en": self.tr("English"), "dz": self.tr("Dzongkha")}.get(code, code)

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
            self.language.addItem(self._language_name(code), code)
        self.language.setCurrentIndex(self.session.q.languages.index(self.session.language))
        self.language.currentIndexChanged.connect(self._on_language_chosen)
        self.language.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.question = QLabel(objectName="question", wordWrap=True)
        self.question.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.hint = QLabel(objectName="hint", wordWrap=True)
        hint_font = self.hint.font()
        hint_font.setItalic(True)
        self.hint.setFont(hint_font)
        # an empty hint keeps its line, so the answers below never jump from item to item
        self.hint.setMinimumHeight(self.hint.fontMetrics().lineSpacing())
        self.choices = QListWidget()
        self.choices.setObjectName("choices")
        self.choices.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.choices.setSpacing(3)
        self.choices.setAlternatingRowColors(True)
        self.choices.itemChanged.connect(self._on_choice_ticked)
        self.entry = QLineEdit(objectName="entry")
        # the server refuses a longer answer (docs/api.md "Input limits"): stop it here
        self.entry.setMaxLength(MAX_ANSWER_CHARS)
        self.entry.installEventFilter(self)
        self.entry.textEdited.connect(lambda _text: self._text_timer.start())
        self.comment = CommentBox()
        self.comment.installEventFilter(self)
        self.comment.textChanged.connect(lambda: self._text_timer.start())
        self.message = QLabel(objectName="scriptMessage", wordWrap=True)
        self.message.setStyleSheet(f"color: {WARNING_COLOUR};")
        layout = QVBoxLayout(self)
        for widget in (self.header, self.correction):
            layout.addWidget(widget)
        top = QHBoxLayout()
        top.addWidget(self.position, 1)
        top.addWidget(self.language)
        layout.addLayout(top)
        for widget in (self.progress, self.question, self.hint):
            layout.addWidget(widget)
        # one answer area that always takes the same room: the question stays where it is
        # and the buttons stay at the bottom whether choices, a box or nothing is shown
        answers = QVBoxLayout()
        answers.addWidget(self.choices, 1)
        answers.addWidget(self.entry)
        answers.addWidget(self.comment)
        answers.addStretch(0)
        layout.addLayout(answers, 1)
        layout.addWidget(self.message)
        layout.addLayout(self._buttons())

    def _buttons(self) -> QHBoxLayout:
        back = QPushButton(self.tr("◀ Back"), focusPolicy=Qt.FocusPolicy.NoFocus)
        back.clicked.connect(lambda: self._guarded(self.go_back))
        forward = QPushButton(self.tr("Next ▶ (Enter)"), focusPolicy=Qt.FocusPolicy.NoFocus)
        forward.clicked.connect(lambda: self._guarded(self.go_next))
        end = QPushButton(self.tr("End early (Ctrl+E)"), focusPolicy=Qt.FocusPolicy.NoFocus)
        end.clicked.connect(lambda: self._guarded(self.end_early))
        buttons = QHBoxLayout()
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(end)
        buttons.addWidget(forward)
        return buttons

    # --- showing ---------------------------------------------------------------------------

    def show_current(self) -> None:
        item = self.session.current
        self.message.clear()
        if item is None:
            self.question.setText(self.tr("The script has no item to ask."))
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
        # never the item's internal name: the enumerator reads this, not the questionnaire file
        self.position.setText(self.tr("Question {position} of {total} · {percent}% done").format(
            position=position, total=total, percent=self._percent_done(item)))
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(position)

    def _percent_done(self, item: Item) -> int:
        """How far through the script, by the item's place in the whole questionnaire: unlike
        "of {total}" (the items asked given the answers so far) it never goes backwards when
        an answer brings more questions in."""
        items = self.session.q.items
        return items.index(item) * 100 // len(items)

    def _show_answer_area(self, item: Item) -> None:
        self.choices.setVisible(item.type in CHOICE_TYPES_SHOWN)
        self.entry.setVisible(item.type in TYPED_TYPES and item.type != "text")
        self.comment.setVisible(item.type == "text")
        self._fill_choices(item)
        if item.type in TYPED_TYPES:
            box = self._typing_box(item)
            if item.type != "text":
                self.entry.setValidator(self._validator_for(item))
            answer = self.session.answer_of(item)
            box.setText(number_text(answer) if item.type == "decimal" else
                        "" if answer is None else str(answer))
            box.setFocus()
        else:
            self.setFocus()

    def _typing_box(self, item: Item | None) -> QLineEdit | CommentBox:
        return self.comment if item is not None and item.type == "text" else self.entry

    def _fill_choices(self, item: Item) -> None:
        answer = self.session.answer_of(item)
        ticked = set(self.session.chosen(item))
        several = item.type == "select_multiple"
        self.choices.blockSignals(True)  # filling the list is not the enumerator ticking
        self.choices.clear()
        for option in self.session.options(item):
            row = QListWidgetItem(f"{option.key}\t{option.label}")
            row.setData(NAME_ROLE, option.name)
            if several:
                row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                row.setCheckState(Qt.CheckState.Checked if option.name in ticked
                                  else Qt.CheckState.Unchecked)
            self.choices.addItem(row)
            if option.name == answer:
                self.choices.setCurrentRow(self.choices.count() - 1)
        if several and self.choices.count() and self.choices.currentRow() < 0:
            self.choices.setCurrentRow(0)  # Space needs something highlighted
        self.choices.blockSignals(False)

    def _validator_for(self, item: Item) -> QIntValidator | QRegularExpressionValidator | None:
        if item.type == "integer":
            return QIntValidator(self.entry)
        if item.type == "decimal":
            return QRegularExpressionValidator(QRegularExpression(DECIMAL_PATTERN), self.entry)
        return None

    # --- keys ------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt name
        if not self._handle_key(event):
            super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched in (self.entry, self.comment) and isinstance(event, QKeyEvent) \
                and event.type() == QKeyEvent.Type.KeyPress:
            alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            back = event.key() == Qt.Key.Key_PageUp or (event.key() == Qt.Key.Key_Left and alt)
            if event.key() in ENTER and shift and watched is self.comment:
                return False  # a new line in the comment
            if event.key() in ENTER or back or self._is_command(event):
                return self._handle_key(event)
        return super().eventFilter(watched, event)

    @staticmethod
    def _is_command(event: QKeyEvent) -> bool:
        return bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier) and \
            event.key() in (Qt.Key.Key_L, Qt.Key.Key_E)

    def _handle_key(self, event: QKeyEvent) -> bool:
        try:
            return self._dispatch_key(event)
        except StoreError as error:
            self._not_saved(error)
            return True

    def _guarded(self, action: Callable[[], object]) -> bool:
        """Run a step that saves; on a storage failure show why and report False."""
        try:
            action()
        except StoreError as error:
            self._not_saved(error)
            return False
        return True

    def save_typed(self) -> bool:
        """Save what is typed before leaving the script; False (and why, on screen) if the
        disk refused it, so the caller keeps the script open rather than lose the text."""
        return self._guarded(lambda: self._save_typed_text(quiet=True))

    def _not_saved(self, error: StoreError) -> None:
        """A full or read-only disk: say it in plain words, keep the item and what was typed
        on screen, and let the enumerator try again once it is fixed."""
        self.message.setText(self.tr("Not saved on this computer: {error}. Nothing saved before "
                                     "is lost and what you typed is still here: press Enter "
                                     "again once this is fixed.").format(error=error))

    def _dispatch_key(self, event: QKeyEvent) -> bool:
        key, ctrl = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if ctrl and key == Qt.Key.Key_L:
            self.toggle_language()
        elif ctrl and key == Qt.Key.Key_E:
            self.end_early()
        elif key in ENTER:
            self.go_next()
        elif key in (Qt.Key.Key_Backspace, Qt.Key.Key_PageUp, Qt.Key.Key_Left):
            self.go_back()
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Space):
            return self._on_list_key(key)
        elif not ctrl and event.text():
            return self._answer_by_key(event.text().upper())
        else:
            return False
        return True

    def _on_list_key(self, key: int) -> bool:
        """Up/Down move the highlight, Space ticks it: only on a several-answers item."""
        item = self.session.current
        if item is None or item.type != "select_multiple" or not self.choices.count():
            return False
        row = self.choices.currentRow()
        if key == Qt.Key.Key_Space:
            self._toggle(str(self.choices.item(row).data(NAME_ROLE)))
        else:
            step = -1 if key == Qt.Key.Key_Up else 1
            self.choices.setCurrentRow(max(0, min(self.choices.count() - 1, row + step)))
        return True

    def _answer_by_key(self, pressed: str) -> bool:
        item = self.session.current
        if item is None:
            return False
        for option in self.session.options(item):
            if option.key == pressed:
                if item.type == "select_multiple":
                    self._toggle(option.name)
                else:
                    self.session.answer(option.name)
                    self._fill_choices(item)
                    self.message.clear()
                return True
        return False

    def _toggle(self, name: str) -> None:
        """Tick or untick a choice (saved at once), keeping the highlight on it."""
        self.session.toggle(name)
        item = self.session.current
        if item is not None:
            self._fill_choices(item)
            rows = [self.choices.item(r).data(NAME_ROLE) for r in range(self.choices.count())]
            self.choices.setCurrentRow(rows.index(name) if name in rows else 0)
        self.message.clear()

    def _on_choice_ticked(self, row: QListWidgetItem) -> None:
        """A tick given with the mouse is saved like one given by key."""
        name = str(row.data(NAME_ROLE))
        item = self.session.current
        ticked = row.checkState() == Qt.CheckState.Checked
        if item is not None and ticked != (name in self.session.chosen(item)):
            # refilled later: the list must not be cleared inside its own signal
            QTimer.singleShot(0, self, lambda: self._guarded(lambda: self._toggle(name)))

    # --- moving ----------------------------------------------------------------------------

    def _save_typed_text(self, *, quiet: bool = False) -> bool:
        """Save what is in the entry; False (with a message unless ``quiet``, used while the
        enumerator is still typing) when it is not a value the item can take."""
        self._text_timer.stop()
        item = self.session.current
        if item is None or item.type not in TYPED_TYPES:
            return True
        value, problem = self.session.typed_value(item, self._typing_box(item).text())
        if problem is not None:
            if not quiet:
                self.message.setText(problem)
            return False
        if value != (self.session.answer_of(item) or ""):
            self.session.answer(value)
        return True

    def go_next(self) -> None:
        if not self._save_typed_text():
            return
        problem = self.session.problem_with_current()
        if problem:
            self.message.setText(problem)
            return
        if self.session.advance() is None:
            self._finish()
            return
        self.show_current()

    def go_back(self) -> None:
        # what cannot be saved stays on screen to be corrected rather than dropped
        if self._save_typed_text() and self.session.back() is not None:
            self.show_current()

    def end_early(self) -> None:
        self._save_typed_text()
        confirm = QMessageBox.question(
            self, self.tr("End the interview early?"),
            self.tr("End the interview now? What was answered is kept; it counts as a partial "
                    "or a break-off depending on how many ratings were given."))
        if confirm == QMessageBox.StandardButton.Yes:
            self._finish()

    def _finish(self) -> None:
        outcome = self.session.finish()
        label = BY_KEY[outcome].label if outcome in BY_KEY else outcome
        self.question.setText(self.tr("Interview saved: {outcome}.").format(outcome=label))
        self.choices.hide()
        self.entry.hide()
        self.comment.hide()
        self.finished.emit(outcome)

    def set_font_points(self, points: int) -> None:
        """Change the script's text size now (the settings dialog previews it live)."""
        self.font_points = points
        self._redraw_keeping_typed()

    def toggle_language(self) -> None:
        self.language.setCurrentIndex((self.language.currentIndex() + 1) % self.language.count())

    def _on_language_chosen(self, index: int) -> None:
        self.session.set_language(str(self.language.itemData(index)))
        self._redraw_keeping_typed()

    def _redraw_keeping_typed(self) -> None:
        """Show the item again (new language or size); typed text that is not yet a valid
        answer stays in the entry instead of being replaced by the saved answer."""
        box = self._typing_box(self.session.current)
        typed = box.text()
        saved = self._save_typed_text(quiet=True)
        self.show_current()
        if not saved:
            box.setText(typed)
