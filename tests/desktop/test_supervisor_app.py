"""The app shows the workspace the logged-in role allows (real server, real login)."""

from __future__ import annotations

import pytest

from cati_app.client.api import ApiClient
from cati_app.desktop.analyst.window import AnalystWindow
from cati_app.desktop.app import AppSession, LoginResult
from cati_app.desktop.supervisor.window import SupervisorWindow
from cati_app.desktop.worker import BackgroundRunner
from tests.desktop.test_supervisor_cases import WAIT_MS, Server
from tests.server.conftest import PASSWORD

#: the live-server fixtures (``server``)
pytest_plugins = ["tests.desktop.test_supervisor_cases"]


def sign_in(qtbot, server: Server, settings, username: str) -> AppSession:
    api = ApiClient(server.url, timeout=10)
    token = api.login(username, PASSWORD, f"dev-{username}")
    session = AppSession(settings, BackgroundRunner(), None)
    session.open_workspace(LoginResult(server.url, api, token, f"dev-{username}"))
    qtbot.addWidget(session.window)
    return session


@pytest.mark.parametrize(("username", "kind"), [("sup", SupervisorWindow),
                                                ("ana", AnalystWindow)])
def test_role_decides_the_workspace(qtbot, server: Server, settings, username, kind) -> None:
    session = sign_in(qtbot, server, settings, username)
    window = session.window
    assert isinstance(window, kind)
    qtbot.waitUntil(lambda: window.dashboard.data is not None, timeout=WAIT_MS)
    assert window.exports.all_services() == ["CID"]
    window.close()
    assert not window.dashboard.timer.isActive()
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)


def test_supervisor_window_fills_its_lookups_and_tabs(qtbot, server: Server, settings) -> None:
    session = sign_in(qtbot, server, settings, "sup")
    window = session.window
    qtbot.waitUntil(lambda: window.cases.enumerators != [], timeout=WAIT_MS)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == [
        "Dashboard", "Cases", "Conflicts", "Review", "Exports", "Audit trail"]
    assert window.cases.enumerators == [("enum1", "Karma Dorji"), ("enum2", "Pema Choden")]
    assert window.services == [("CID", "Issuance of New CID Card")]
    dialog = window.import_sample()
    assert dialog.service.currentData() == "CID"
    dialog.close()
    window.close()
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)


@pytest.mark.parametrize("username", ["sup", "ana"])
def test_expired_login_asks_again_and_keeps_the_screen(qtbot, server: Server, settings,
                                                       username: str) -> None:
    session = sign_in(qtbot, server, settings, username)
    window = session.window
    qtbot.waitUntil(lambda: window.dashboard.data is not None, timeout=WAIT_MS)
    shown = window.dashboard.data
    session.login.api.token = "expired-or-revoked"  # as when the server lets the token lapse
    window.refresh()
    qtbot.waitUntil(lambda: session.relogin is not None and session.relogin.isVisible(),
                    timeout=WAIT_MS)
    dialog = session.relogin
    assert dialog.username.text() == username and dialog.username.isReadOnly()
    assert window.isVisible() and window.dashboard.data is shown  # nothing on screen is lost
    window.refresh()  # more failures while the dialog is open do not stack dialogs
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)
    assert session.relogin is dialog
    dialog.password.setText(PASSWORD)
    dialog.sign_in()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert session.login.api.token != "expired-or-revoked"
    qtbot.waitUntil(lambda: window.dashboard.data is not shown, timeout=WAIT_MS)
    window.close()
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)
