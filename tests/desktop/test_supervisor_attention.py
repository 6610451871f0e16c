"""The supervisor's Released and Quarantine tabs (issue 13) against the live server: an
enumerator releases a case and pushes an item the server refuses; the supervisor sees both
with their reasons, reassigns the released case and dismisses the refused item, by clicks
and keys."""

from __future__ import annotations

import uuid
from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cati_app.desktop.settings import Settings
from cati_app.desktop.supervisor.attention import QuarantinePage, ReleasedPage
from cati_app.desktop.supervisor.window import SupervisorWindow
from cati_app.desktop.worker import BackgroundRunner
from tests.desktop.enumerator_calls import EnumeratorCalls
from tests.desktop.supervision_server import WAIT_MS, Server
from tests.support.constants import TUESDAY_10AM
from tests.support.factories import attempt_item, load_case, seed_cases


def test_a_released_case_is_listed_with_the_reason_and_reassigned(qtbot, server: Server):
    seed_cases(server.ctx, server.service_id, 2)
    enum1 = EnumeratorCalls(server.url, "enum1")
    _kept, given_back = enum1.claim(2)
    enum1.push([{"item_uuid": str(uuid.uuid4()), "kind": "case_release",
                 "case_id": given_back["case_id"],
                 "assignment_version": given_back["assignment_version"],
                 "payload": {"reason": "Speaks only Sharchop"}}])
    page = ReleasedPage(server.api(), BackgroundRunner(),
                        lambda: [("enum1", "Karma Dorji"), ("enum2", "Pema Choden")])
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.counted, timeout=WAIT_MS) as counted:
        page.refresh()
    assert counted.args == [1]
    row = page.model.row_at(0)
    assert (row.case_id, row.released_by, row.reason) == (
        given_back["case_id"], "enum1", "Speaks only Sharchop")

    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.table.visualRect(page.model.index(0, 0)).center())
    qtbot.mouseClick(page.assign_button, Qt.MouseButton.LeftButton)
    picker = page.dialog
    qtbot.waitUntil(lambda: QApplication.activeWindow() is picker, timeout=WAIT_MS)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)  # the first one offered
    chosen = picker.username()
    assert chosen in ("enum1", "enum2")
    with qtbot.waitSignal(page.changed, timeout=WAIT_MS):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=WAIT_MS)
    assert load_case(server.ctx, given_back["case_id"]).holder_id == server.ids[chosen]


def test_a_refused_item_is_listed_with_its_reason_and_dismissed_with_a_note(
        qtbot, server: Server):
    seed_cases(server.ctx, server.service_id, 1)
    enum1 = EnumeratorCalls(server.url, "enum1")
    case = enum1.claim(1)[0]
    refused = attempt_item(case, server.ctx.clock.now(), outcome="teleported")
    assert enum1.push([refused])[0]["status"] == "rejected_invalid"

    page = QuarantinePage(server.api(), BackgroundRunner())
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.counted, timeout=WAIT_MS) as counted:
        page.refresh()
    assert counted.args == [1]
    item = page.model.row_at(0)
    assert item.enumerator == "enum1" and "teleported" in item.reason
    assert page.model.index(0, 4).data() == item.reason  # shown in the table

    qtbot.mouseClick(page.dismiss_button, Qt.MouseButton.LeftButton)
    assert "Select an open item" in page.status.text()  # nothing chosen yet
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=page.table.visualRect(page.model.index(0, 0)).center())
    page.note.setFocus()
    qtbot.keyClicks(page.note, "Test call by the trainer")
    with qtbot.waitSignal(page.counted, timeout=WAIT_MS) as counted:
        qtbot.mouseClick(page.dismiss_button, Qt.MouseButton.LeftButton)
    assert counted.args == [0]
    assert page.model.rowCount() == 0
    settled = server.api().quarantine("settled").items
    assert [(i.settlement, i.settled_by, i.settlement_note) for i in settled] == [
        ("dismissed", "sup", "Test call by the trainer")]


def test_the_room_bar_shows_who_is_online_and_opens_what_waits(qtbot, server: Server,
                                                                settings: Settings):
    seed_cases(server.ctx, server.service_id, 1)
    enum1 = EnumeratorCalls(server.url, "enum1")  # signs in now: online
    case = enum1.claim(1)[0]
    enum1.push([attempt_item(case, server.ctx.clock.now(), outcome="teleported")])
    window = SupervisorWindow(server.api(), BackgroundRunner(), settings,
                              full_name="Sonam Wangmo", today=lambda: TUESDAY_10AM.date())
    qtbot.addWidget(window)
    window.show()
    window.start()
    bar = window.room
    qtbot.waitUntil(lambda: "Online 1 of 2" in bar.online.text(), timeout=WAIT_MS)
    assert "Karma Dorji (0 min ago)" in bar.online.text()
    assert "offline: Pema Choden (never)" in bar.online.text()
    assert bar.buttons["quarantine"].text() == "1 quarantined"
    assert bar.buttons["conflicts"].text() == "0 conflicts"

    qtbot.mouseClick(bar.buttons["quarantine"], Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is window.quarantine
    qtbot.waitUntil(lambda: window.quarantine.model.rowCount() == 1, timeout=WAIT_MS)
    server.ctx.clock.advance(timedelta(minutes=20))  # enum1 has not synced since
    bar.refresh()
    qtbot.waitUntil(lambda: "Online 0 of 2" in bar.online.text(), timeout=WAIT_MS)
    assert "Karma Dorji (20 min ago)" in bar.online.text()
