"""Sign out / switch user without closing the app, from the Account menu of every role's
window, against the real server: the window closes the way its close button does (the
enumerator's asks to send unsent work first), then the login dialog asks who is next."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMainWindow, QMessageBox

from cati_app.desktop.admin.window import AdminWindow
from cati_app.desktop.app import AppSession, authenticate
from cati_app.desktop.enumerator.window import EnumeratorWindow
from cati_app.desktop.login import LoginDialog
from cati_app.desktop.settings import SERVER_URL, Settings
from cati_app.desktop.supervisor.window import SupervisorWindow
from cati_app.desktop.worker import BackgroundRunner
from tests.desktop.helpers import button, demo_cases
from tests.desktop.supervision_server import ADMIN_PEOPLE, supervision_server
from tests.support.constants import PASSWORD, TUESDAY_10AM

WAIT_MS = 10_000


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    with supervision_server(tmp_path, ADMIN_PEOPLE) as served:
        yield served.url


@pytest.fixture
def session(qtbot, settings: Settings, server_url: str, tmp_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[AppSession]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    settings.set(SERVER_URL, server_url)
    app_session = AppSession(settings, BackgroundRunner(), None)
    app_session.quits = []  # type: ignore[attr-defined]
    app_session.quit_app = lambda: app_session.quits.append("quit")  # type: ignore[attr-defined]
    yield app_session
    for window in (app_session.window, app_session.supervision):
        if window is not None:
            window.close()
    app_session.close()


def when_login_dialog_shows(act: Callable[[LoginDialog], None]) -> QTimer:
    """The login dialog runs its own event loop (exec): act on it from a timer."""
    timer = QTimer()
    timer.setInterval(50)

    def look() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, LoginDialog) and widget.isVisible():
                timer.stop()
                act(widget)
                return

    timer.timeout.connect(look)
    timer.start()
    return timer


def sign_in_as(qtbot, username: str) -> Callable[[LoginDialog], None]:  # noqa: ANN001
    def act(dialog: LoginDialog) -> None:
        dialog.username.selectAll()
        qtbot.keyClicks(dialog.username, username)
        qtbot.keyClicks(dialog.password, PASSWORD)
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)

    return act


def cancel(qtbot) -> Callable[[LoginDialog], None]:  # noqa: ANN001
    def act(dialog: LoginDialog) -> None:
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel),
                         Qt.MouseButton.LeftButton)

    return act


def sign_out_by_keys(qtbot, window: QMainWindow) -> None:  # noqa: ANN001
    window.activateWindow()  # a person's keys go to the window in front
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key.Key_O,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)


def test_a_supervisor_switches_to_an_admin_who_reaches_the_supervisors_room(
        qtbot, session: AppSession, server_url: str) -> None:
    session.open_workspace(authenticate(server_url, "sup", PASSWORD))
    supervisor = session.window
    assert isinstance(supervisor, SupervisorWindow)
    menus = [action.text() for action in supervisor.menuBar().actions()]
    assert "A&ccount" in menus
    timer = when_login_dialog_shows(sign_in_as(qtbot, "root"))
    sign_out_by_keys(qtbot, supervisor)
    qtbot.waitUntil(lambda: isinstance(session.window, AdminWindow), timeout=WAIT_MS)
    timer.stop()
    assert session.login is not None and session.login.token.username == "root"
    admin = session.window
    assert admin.isVisible() and QApplication.quitOnLastWindowClosed()
    assert session.quits == []  # type: ignore[attr-defined]
    assert not any(isinstance(w, SupervisorWindow) and w.isVisible()
                   for w in QApplication.topLevelWidgets())
    # the admin reaches the supervisor's room from the Window menu
    admin.activateWindow()
    qtbot.waitUntil(admin.isActiveWindow, timeout=WAIT_MS)
    qtbot.keyClick(admin, Qt.Key.Key_S,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(session.supervision, SupervisorWindow)
                    and session.supervision.isVisible(), timeout=WAIT_MS)

    # signing out closes both; cancelling the login ends the app
    timer = when_login_dialog_shows(cancel(qtbot))
    sign_out_by_keys(qtbot, admin)
    qtbot.waitUntil(lambda: session.quits == ["quit"], timeout=WAIT_MS)  # type: ignore[attr-defined]
    timer.stop()
    assert session.window is None and session.supervision is None and session.login is None
    assert not any(w.isVisible() for w in QApplication.topLevelWidgets()
                   if isinstance(w, QMainWindow))


def test_an_enumerator_signing_out_is_asked_to_send_unsent_work_first(
        qtbot, session: AppSession, server_url: str) -> None:
    session.open_workspace(authenticate(server_url, "enum1", PASSWORD))
    window = session.window
    assert isinstance(window, EnumeratorWindow)
    assert session.sync is not None
    qtbot.waitUntil(lambda: not session.sync.running, timeout=WAIT_MS)  # type: ignore[union-attr]
    store = session.store
    now = TUESDAY_10AM + timedelta(days=1)
    store.store_claim("grant-local", demo_cases(now))
    window.controller.record_outcome(102, outcome="busy", phone_index=0, started_at=now)
    assert store.pending_count() == 1

    sign_out_by_keys(qtbot, window)
    # the same question as its close button asks; Cancel keeps everything as it was
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox),
                    timeout=WAIT_MS)
    box = QApplication.activeModalWidget()
    assert "not yet sent" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert window.isVisible() and session.window is window

    # asked again: closing without sending keeps the work on disk for the next sign-in,
    # then the login dialog asks who is next
    timer = when_login_dialog_shows(sign_in_as(qtbot, "sup"))
    sign_out_by_keys(qtbot, window)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox),
                    timeout=WAIT_MS)
    qtbot.mouseClick(button(QApplication.activeModalWidget(), "Close without"),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: isinstance(session.window, SupervisorWindow), timeout=WAIT_MS)
    timer.stop()
    assert session.store is None and session.sync is None
    assert session.quits == []  # type: ignore[attr-defined]
