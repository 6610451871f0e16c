"""The do-not-call register on the desktop, against the real server on a loopback port: a
supervisor finds, adds (confirming, by keyboard) and sees only masked numbers; a bad number gets
a message saying what to do; an admin removes an entry with a reason."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from cati_app.desktop.admin.window import AdminWindow
from cati_app.desktop.shared.do_not_call_page import DoNotCallRegisterPage
from cati_app.desktop.supervisor.window import SupervisorWindow
from cati_app.server.db import transaction
from cati_app.server.models import CaseState
from cati_app.server.services.cases import do_not_call_register
from tests.desktop.supervision_server import (
    ADMIN_PEOPLE,
    WAIT_MS,
    Server,
    sign_in,
    supervision_server,
)
from tests.support.factories import load_case, seed_case

NATIONAL = "17654321"


def _open(qtbot, window: SupervisorWindow | AdminWindow) -> DoNotCallRegisterPage:  # noqa: ANN001
    page = window.do_not_call
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton,
                     pos=bar.tabRect(window.tabs.indexOf(page)).center())
    assert window.tabs.currentWidget() is page
    qtbot.waitUntil(lambda: not page.busy.isVisible() and page.shown.text() != "",
                    timeout=WAIT_MS)
    return page


def _answer_yes(qtbot, page: DoNotCallRegisterPage) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: page.question is not None and page.question.isVisible(),
                    timeout=WAIT_MS)
    assert page.question is not None
    page.question.button(QMessageBox.StandardButton.Yes).click()


def _cells(page: DoNotCallRegisterPage) -> list[str]:
    model = page.model
    return [str(model.index(r, c).data()) for r in range(model.rowCount())
            for c in range(model.columnCount())]


def test_a_supervisor_adds_a_number_by_keyboard_and_sees_it_masked(
        qtbot, qtmodeltester, server: Server, settings) -> None:  # noqa: ANN001
    case_id = seed_case(server.ctx, server.service_id, phone1="+975" + NATIONAL, phone2=None)
    session = sign_in(qtbot, server, settings, "sup")
    window = session.window
    assert isinstance(window, SupervisorWindow)
    page = _open(qtbot, window)
    assert page.model.rowCount() == 0 and not page.remove_box.isVisibleTo(page)

    page.phone.setFocus()
    qtbot.keyClicks(page.phone, "17 65 43 21")
    qtbot.keyClicks(page.reason, "letter to RCSC")
    qtbot.keyClick(page.reason, Qt.Key.Key_Return)
    _answer_yes(qtbot, page)
    qtbot.waitUntil(lambda: "withdrawn" in page.status.text(), timeout=WAIT_MS)

    assert page.status.text() == ("+975 17•••••21 is on the register; 1 open case(s) "
                                  "withdrawn.")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT_MS)
    qtmodeltester.check(page.model)
    assert "+975 17•••••21" in _cells(page) and "request to RCSC" in _cells(page)
    assert not any(NATIONAL[2:] in cell for cell in _cells(page))
    assert load_case(server.ctx, case_id).state == CaseState.CLOSED

    # the same number again: nothing changes, and the page says so
    qtbot.keyClicks(page.phone, "+975-17-654321")
    qtbot.keyClick(page.phone, Qt.Key.Key_Return)
    _answer_yes(qtbot, page)
    qtbot.waitUntil(lambda: "already" in page.status.text(), timeout=WAIT_MS)

    # search by the last digits: no match, then the match
    qtbot.keyClicks(page.digits, "99")
    qtbot.keyClick(page.digits, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=WAIT_MS)
    assert page.shown.text() == "No number on the register matches."
    page.digits.clear()
    qtbot.keyClicks(page.digits, "4321x")  # the field takes digits only, four at most
    assert page.digits.text() == "4321"
    qtbot.keyClick(page.digits, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT_MS)
    window.close()
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)


def test_a_bad_number_says_what_to_do(qtbot, server: Server, settings) -> None:  # noqa: ANN001
    session = sign_in(qtbot, server, settings, "sup")
    window = session.window
    assert isinstance(window, SupervisorWindow)
    page = _open(qtbot, window)
    qtbot.keyClicks(page.phone, "12345")
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    _answer_yes(qtbot, page)
    qtbot.waitUntil(lambda: page.status.text().startswith("Not done"), timeout=WAIT_MS)
    assert "cannot go on the register" in page.status.text()
    assert not page.busy.isVisible() and page.model.rowCount() == 0
    window.close()
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)


def test_an_admin_removes_an_entry_with_a_reason(qtbot, tmp_path: Path, settings) -> None:  # noqa: ANN001
    with supervision_server(tmp_path, ADMIN_PEOPLE) as server:
        with transaction(server.ctx.sessions) as db:
            do_not_call_register.add(db, NATIONAL, source="request",
                                     at=server.ctx.clock.now(), by=None)
        session = sign_in(qtbot, server, settings, "root")
        window = session.window
        assert isinstance(window, AdminWindow)
        page = _open(qtbot, window)
        assert page.model.rowCount() == 1 and page.remove_box.isVisibleTo(page)
        assert not page.remove_button.isEnabled()  # nothing selected, no reason yet

        page.table.selectRow(0)
        qtbot.keyClicks(page.removal_reason, "o")
        assert not page.remove_button.isEnabled()  # a reason needs three characters
        qtbot.keyClicks(page.removal_reason, "wner asked to be called")
        assert page.remove_button.isEnabled()
        qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
        _answer_yes(qtbot, page)
        qtbot.waitUntil(lambda: "removed" in page.status.text(), timeout=WAIT_MS)

        assert page.status.text() == "+975 17•••••21 was removed from the register."
        qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=WAIT_MS)
        window.close()
        qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)
