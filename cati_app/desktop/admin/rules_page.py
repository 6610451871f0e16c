"""The calling rules every desktop plans with, edited as the JSON the server keeps (windows,
holidays, retry delays, attempt cap…); the server checks them and says what is wrong."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cati_app.core.protocol import CallingRulesDoc
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.admin_api import AdminApi


class RulesPage(QWidget):
    def __init__(self, api: AdminApi, runner: BackgroundRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.version = QLabel()
        self.editor = QPlainTextEdit()
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.save_button = QPushButton(self.tr("&Save the rules"))
        self.save_button.clicked.connect(self.save)
        self.reload_button = QPushButton(self.tr("Re&load"))
        self.reload_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.reload_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.version)
        layout.addWidget(self.editor, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

    def refresh(self) -> None:
        self.runner.run(self.api.calling_rules, self._show, self._failed, owner=self)

    def _show(self, doc: CallingRulesDoc) -> None:
        self.version.setText(self.tr("Calling rules, version {version} (desktops get a new "
                                     "version at their next sync)").format(version=doc.version))
        self.editor.setPlainText(json.dumps(doc.rules, indent=2, ensure_ascii=False))

    def save(self) -> None:
        try:
            rules: Any = json.loads(self.editor.toPlainText())
        except ValueError as exc:
            self.status.setText(self.tr("Not saved: this is not valid JSON ({problem}).")
                                .format(problem=exc))
            return
        if not isinstance(rules, dict):
            self.status.setText(self.tr("Not saved: the rules are one JSON object {…}."))
            return

        def saved(doc: CallingRulesDoc) -> None:
            self._show(doc)
            self.status.setText(self.tr("Saved as version {version}: the server plans with "
                                        "them now.").format(version=doc.version))

        self.status.setText(self.tr("Saving…"))
        self.runner.run(lambda: self.api.replace_calling_rules(rules), saved, self._failed,
                        owner=self)

    def _failed(self, error: BaseException) -> None:
        self.status.setText(self.tr("Not done: {reason}").format(reason=error))
