"""Small dialogs of the case browser: pick an enumerator, pick a priority, confirm a change.

They are opened with ``open()`` (never a blocking ``exec``), so the browser stays responsive
and tests drive them like a person: fill the fields, press OK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cati_app.desktop.supervisor.bulk import Confirmation

REASON_MAX = 200


class _FormDialog(QDialog):
    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)


class EnumeratorDialog(_FormDialog):
    """Whom to give the selected cases to: active enumerators, by name. Nobody is chosen
    when it opens, so Enter cannot pick anyone by accident; whoever already holds every
    selected case is not offered (giving them their own cases changes nothing)."""

    def __init__(self, count: int, enumerators: Sequence[tuple[str, str]],
                 parent: QWidget | None = None, *,
                 holding: Mapping[str, int] | None = None) -> None:
        super().__init__(self.tr("Reassign cases"), parent)
        holding = holding or {}
        self.choice = QComboBox(placeholderText=self.tr("choose an enumerator"))
        for username, full_name in enumerators:
            held = holding.get(username, 0)
            if held >= count:
                continue
            label = f"{full_name} ({username})" if full_name and full_name != username \
                else username
            if held:
                label += " — " + self.tr("holds {held} of these").format(held=f"{held:,}")
            self.choice.addItem(label, username)
        self.choice.setCurrentIndex(-1)
        self.choice.currentIndexChanged.connect(self._update_ok)
        self.form.addRow(QLabel(self.tr("Give the {count} selected cases to:").format(
            count=f"{count:,}")))
        self.form.addRow(self.tr("Enumerator"), self.choice)
        self.choice.setFocus()
        self._update_ok()

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(self.choice.currentIndex() >= 0)

    def username(self) -> str:
        return str(self.choice.currentData())

    def choose(self, username: str) -> None:
        self.choice.setCurrentIndex(self.choice.findData(username))


class PriorityDialog(_FormDialog):
    def __init__(self, count: int, current: int, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Change priority"), parent)
        self.value = QSpinBox(minimum=0, maximum=100, value=current)
        self.form.addRow(QLabel(self.tr("New priority for the {count} selected cases "
                                        "(0–100; higher is called first):").format(
                                            count=f"{count:,}")))
        self.form.addRow(self.tr("Priority"), self.value)

    def priority(self) -> int:
        return self.value.value()


class ConfirmDialog(_FormDialog):
    """Says what will happen; a forced reassign asks for a reason and cannot go on without."""

    def __init__(self, title: str, confirmation: Confirmation,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.confirmation = confirmation
        self.question = QLabel(confirmation.question, wordWrap=True,
                               objectName="confirmQuestion")
        self.question.setMinimumWidth(420)
        self.form.addRow(self.question)
        self.reason = QLineEdit(
            maxLength=REASON_MAX,
            placeholderText=self.tr("why these cases are taken away (required)"))
        if confirmation.needs_reason:
            self.form.addRow(self.tr("Reason"), self.reason)
            self.reason.textChanged.connect(self._update_ok)
            # typed first: Enter or Space cannot confirm before there is a reason
            self.reason.setFocus()
        self._update_ok()

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(not self.confirmation.needs_reason
                                  or bool(self.reason.text().strip()))

    def reason_text(self) -> str:
        return self.reason.text().strip()
