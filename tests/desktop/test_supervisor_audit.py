"""The audit trail in the supervisor's room, against the live server: a supervisor finds
what happened to one case by typing its number."""

from __future__ import annotations

from PySide6.QtCore import Qt

from cati_app.desktop.supervisor.window import SupervisorWindow
from tests.desktop.supervision_server import WAIT_MS, Server, sign_in
from tests.support.factories import give, seed_cases


def test_a_supervisor_reads_one_cases_trail(qtbot, qtmodeltester, server: Server,
                                            settings) -> None:
    first, second = seed_cases(server.ctx, server.service_id, 2)
    give(server.ctx, first, server.ids["enum1"])
    give(server.ctx, second, server.ids["enum2"])
    session = sign_in(qtbot, server, settings, "sup")
    window = session.window
    assert isinstance(window, SupervisorWindow)
    page = window.audit
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton,
                     pos=bar.tabRect(window.tabs.indexOf(page)).center())
    assert window.tabs.currentWidget() is page
    # opening the room loaded the newest entries: the supervisor's own login on top
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=WAIT_MS)
    assert page.model.row_at(0).action == "auth.login"

    page.case_id.setFocus()
    qtbot.keyClicks(page.case_id, str(first))
    qtbot.keyClick(page.case_id, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT_MS)
    qtmodeltester.check(page.model)
    entry = page.model.row_at(0)
    assert (entry.action, entry.entity, entry.entity_id, entry.username) == (
        "case.grant", "case", str(first), "enum1")

    page.case_id.clear()
    qtbot.keyClicks(page.case_id, "twelve")
    qtbot.keyClick(page.case_id, Qt.Key.Key_Return)
    assert page.status.text() == "A case is a number."
    window.close()
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)
