"""Help ▸ Keys (F1): every key of the workspace in one list, so a new enumerator never has to
guess. The workspace's own keys are read from its actions, so the list cannot fall behind."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cati_app.desktop.enumerator.outcome_picker import OUTCOME_KEYS
from cati_app.desktop.enumerator.script_runner import SCRIPT_KEYS


def _plain(text: str) -> str:
    """A menu text without its mnemonic marker or trailing dots."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


class KeysDialog(QDialog):
    def __init__(self, actions: Sequence[tuple[str, QKeySequence]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keys"))
        self.keys = QTreeWidget()
        self.keys.setObjectName("keysList")
        self.keys.setHeaderLabels([self.tr("Key"), self.tr("What it does")])
        self.keys.setRootIsDecorated(False)
        workspace = [(shortcut.toString(QKeySequence.SequenceFormat.NativeText), _plain(text))
                     for text, shortcut in actions if not shortcut.isEmpty()]
        self._section(self.tr("Queue and case"), workspace)
        self._section(self.tr("In the script"), _translated("ScriptRunner", SCRIPT_KEYS))
        self._section(self.tr("Coding an outcome"), _translated("OutcomePicker", OUTCOME_KEYS))
        self.keys.resizeColumnToContents(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.keys)
        layout.addWidget(buttons)
        self.resize(640, 520)

    def _section(self, title: str, rows: Sequence[tuple[str, str]]) -> None:
        heading = QTreeWidgetItem([title, ""])
        font = heading.font(0)
        font.setBold(True)
        heading.setFont(0, font)
        self.keys.addTopLevelItem(heading)
        for key, meaning in rows:
            self.keys.addTopLevelItem(QTreeWidgetItem([key, meaning]))

    def rows(self) -> list[tuple[str, str]]:
        items = (self.keys.topLevelItem(i) for i in range(self.keys.topLevelItemCount()))
        return [(item.text(0), item.text(1)) for item in items if item is not None]


def _translated(context: str, rows: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(QCoreApplication.translate(context, key), QCoreApplication.translate(context, text))
            for key, text in rows]
