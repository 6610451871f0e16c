"""The enumerator's settings: dial command, automatic sync, queue size, script text size,
theme and the program's language. The text size and the theme are previewed live and put back
on Cancel; the language takes effect at the next start."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cati_app.desktop.enumerator.dialer import DialError, command_for
from cati_app.desktop.fonts import MAX_FONT_POINTS, MIN_FONT_POINTS
from cati_app.desktop.i18n import LANGUAGES
from cati_app.desktop.settings import (
    AUTO_SYNC_MINUTES,
    DIAL_COMMAND,
    SCRIPT_FONT_SIZE,
    TARGET_QUEUE_SIZE,
    THEME,
    UI_LANGUAGE,
    Settings,
)
from cati_app.desktop.theme import THEMES, WARNING_COLOUR

# a number to try the dial command template on
SAMPLE_NUMBER = "+97517123456"


class SettingsDialog(QDialog):
    # the script text size while the enumerator tries sizes (and the saved one on Cancel)
    font_points_previewed = Signal(int)
    # 'system', 'light' or 'dark', as chosen (and the saved one on Cancel)
    theme_previewed = Signal(str)
    saved = Signal()

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(self.tr("Settings"))
        self.dial_command = QLineEdit(settings.get(DIAL_COMMAND), objectName="dialCommand",
                                      placeholderText=self.tr("empty: open tel: links with "
                                                              "the phone app"))
        self.dial_command.textChanged.connect(self._check)
        self.sync_minutes = _spin(1, 240, settings.get(AUTO_SYNC_MINUTES), self.tr(" min"))
        self.queue_size = _spin(1, 500, settings.get(TARGET_QUEUE_SIZE), self.tr(" cases"))
        self.font_points = _spin(MIN_FONT_POINTS, MAX_FONT_POINTS,
                                 settings.get(SCRIPT_FONT_SIZE), self.tr(" pt"))
        self.font_points.valueChanged.connect(self.font_points_previewed.emit)
        self.theme = QComboBox()
        for code, label in THEMES.items():
            self.theme.addItem(self.tr(label), code)
        self.theme.setCurrentIndex(max(self.theme.findData(settings.get(THEME)), 0))
        self.theme.currentIndexChanged.connect(
            lambda _i: self.theme_previewed.emit(str(self.theme.currentData())))
        self.language = QComboBox()
        self.language.setObjectName("language")
        for code, label in LANGUAGES.items():
            # a language's own name stays as it is; only "Follow the system" is translated
            self.language.addItem(self.tr(label) if code == "system" else label, code)
        self.language.setCurrentIndex(max(self.language.findData(settings.get(UI_LANGUAGE)), 0))
        self.problem = QLabel("", objectName="settingsProblem", wordWrap=True)
        self.problem.setStyleSheet(f"color: {WARNING_COLOUR};")
        form = QFormLayout()
        form.addRow(self.tr("Dial command"), self.dial_command)
        form.addRow("", QLabel(self.tr("A softphone command with {number} where the number "
                                       "goes, e.g. <code>softphone --call {number}</code>. It "
                                       "is run directly, never through a shell."),
                               wordWrap=True))
        form.addRow(self.tr("Sync automatically every"), self.sync_minutes)
        form.addRow(self.tr("Keep in my queue"), self.queue_size)
        form.addRow(self.tr("Script text size"), self.font_points)
        form.addRow(self.tr("Theme"), self.theme)
        form.addRow(self.tr("Language (after a restart)"), self.language)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._check()

    def dial_problem(self) -> str:
        template = self.dial_command.text().strip()
        if not template:
            return ""
        try:
            command_for(template, SAMPLE_NUMBER)
        except (DialError, ValueError) as error:  # shlex: "No closing quotation"
            return self.tr("Dial command: {error}").format(error=error)
        return ""

    def _check(self) -> None:
        problem = self.dial_problem()
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not problem)

    def save(self) -> None:
        if self.dial_problem():
            return
        self.settings.set(DIAL_COMMAND, self.dial_command.text().strip())
        self.settings.set(AUTO_SYNC_MINUTES, self.sync_minutes.value())
        self.settings.set(TARGET_QUEUE_SIZE, self.queue_size.value())
        self.settings.set(SCRIPT_FONT_SIZE, self.font_points.value())
        self.settings.set(THEME, str(self.theme.currentData()))
        self.settings.set(UI_LANGUAGE, str(self.language.currentData()))
        self.saved.emit()
        self.accept()

    def reject(self) -> None:
        """Put the live previews back to what is saved."""
        self.font_points_previewed.emit(self.settings.get(SCRIPT_FONT_SIZE))
        self.theme_previewed.emit(self.settings.get(THEME))
        super().reject()


def _spin(low: int, high: int, value: int, suffix: str) -> QSpinBox:
    spin = QSpinBox(minimum=low, maximum=high, suffix=suffix)
    spin.setValue(min(max(value, low), high))
    return spin
