"""The app shows the workspace the logged-in role allows (real server, real login)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from cati_app.desktop.analyst.window import AnalystWindow
from cati_app.desktop.supervisor.window import SupervisorWindow
from tests.desktop.supervision_server import WAIT_MS, Server, sign_in
from tests.support.constants import PASSWORD
from tests.support.factories import seed_cases


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
        "Dashboard", "Cases", "Conflicts", "Review", "Released", "Quarantine", "Complaints",
        "Sampling", "Exports", "Do not call", "Audit trail"]
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


def test_the_analyst_reads_response_rates_per_office_by_keys(qtbot, server: Server,
                                                             settings) -> None:
    seed_cases(server.ctx, server.service_id, 3)
    session = sign_in(qtbot, server, settings, "ana")
    window = session.window
    window.show()
    qtbot.waitUntil(lambda: window.rates.service.count() == 2, timeout=WAIT_MS)  # + all
    window.tabs.setCurrentWidget(window.rates)
    page = window.rates
    page.by.setFocus()
    qtbot.keyClicks(page.by, "O")  # "Office" by its first letter, as a person picks it
    assert page.by.currentData() == "office"
    qtbot.keyClick(page.by, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.model.rowCount() >= 2, timeout=WAIT_MS)
    rows = page.model.rows()
    assert rows[-1].group == "All"
    assert sum(r.rates.cases_total for r in rows[:-1]) == rows[-1].rates.cases_total == 3
    header = [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(
        page.model.columnCount())]
    assert {"I", "NC", "RR1", "RR3", "COOP1", "REF1", "CON1"} <= set(header)
    window.close()
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)
