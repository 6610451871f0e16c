"""The login dialog (a Designer form): server address (remembered), username, password.

The actual sign-in is a callable passed in, run off the UI thread; its error message is shown
as it is (the API client's errors already say what to do).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QFile
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from cati_app.core.resources import ui_form
from cati_app.desktop.settings import LAST_USERNAME, SERVER_URL, Settings
from cati_app.desktop.worker import BackgroundRunner

Authenticate = Callable[[str, str, str], Any]
#: a widget class looked up in a loaded form
W = TypeVar("W", bound=QWidget)


def load_form(name: str, parent: QWidget) -> QWidget:
    """A Designer form from ``ui/`` as a child widget of ``parent``."""
    path = ui_form(name)
    file = QFile(str(path))
    if not file.open(QFile.OpenModeFlag.ReadOnly):
        raise FileNotFoundError(f"the form {path} is missing from the installation")
    try:
        form = QUiLoader().load(file, parent)
    finally:
        file.close()
    if form is None:
        raise RuntimeError(f"the form {path} could not be read")
    return form


def form_child(form: QWidget, kind: type[W], name: str) -> W:
    """The widget ``name`` of a loaded form; a form without it is a broken installation."""
    child = form.findChild(kind, name)
    if child is None:
        raise RuntimeError(f"the form has no {kind.__name__} named {name!r}")
    return child


class LoginDialog(QDialog):
    def __init__(self, settings: Settings, authenticate: Authenticate, runner: BackgroundRunner,
                 *, server_fixed: str | None = None, username_fixed: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sign in — ServE CATI"))
        self._settings = settings
        self._authenticate = authenticate
        self._runner = runner
        self.login_result: Any = None
        form = load_form("login_dialog.ui", self)
        QVBoxLayout(self).addWidget(form)
        self.server = form_child(form, QLineEdit, "server")
        self.username = form_child(form, QLineEdit, "username")
        self.password = form_child(form, QLineEdit, "password")
        self.message = form_child(form, QLabel, "message")
        self.buttons = form_child(form, QDialogButtonBox, "buttons")
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)
        self.server.setText(server_fixed or settings.get(SERVER_URL))
        self.username.setText(username_fixed or settings.get(LAST_USERNAME))
        self.server.setReadOnly(server_fixed is not None)
        self.username.setReadOnly(username_fixed is not None)
        (self.password if self.username.text() else self.username).setFocus()

    def problem(self) -> str | None:
        server = self.server.text().strip()
        if not server.startswith(("http://", "https://")):
            return self.tr("The server address must start with https:// (or http:// on a local "
                           "network).")
        if not self.username.text().strip():
            return self.tr("Type your username.")
        if not self.password.text():
            return self.tr("Type your password.")
        return None

    def sign_in(self) -> None:
        problem = self.problem()
        if problem:
            self.message.setText(problem)
            return
        self.message.setText(self.tr("Signing in…"))
        self.buttons.setEnabled(False)
        server = self.server.text().strip().rstrip("/")
        username = self.username.text().strip()
        password = self.password.text()
        self._runner.run(lambda: self._authenticate(server, username, password),
                         lambda result: self._signed_in(server, username, result),
                         self._failed, owner=self)

    def _signed_in(self, server: str, username: str, result: Any) -> None:
        self._settings.set(SERVER_URL, server)
        self._settings.set(LAST_USERNAME, username)
        self.login_result = result
        self.password.clear()
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.message.setText(self.tr("Could not sign in: {error}").format(error=error))
        self.password.selectAll()
        self.password.setFocus()
