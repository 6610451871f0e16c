"""The case browser end to end against the real server on a loopback port: paging, the
reassign flow with its confirmation and forced-reassign reason, return to pool, priority.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from cati_app.desktop.supervisor.case_browser import CaseBrowser
from cati_app.desktop.supervisor.case_dialogs import ConfirmDialog, EnumeratorDialog
from cati_app.desktop.worker import BackgroundRunner
from tests.desktop.supervision_server import WAIT_MS, Server
from tests.support.factories import give, load_case, seed_cases


def open_browser(qtbot, server: Server, page_size: int = 200) -> CaseBrowser:
    browser = CaseBrowser(server.api(), BackgroundRunner(), page_size=page_size)
    qtbot.addWidget(browser)
    browser.set_lookups([("CID", "Service CID")], [("enum1", "Karma Dorji"),
                                                   ("enum2", "Pema Choden")])
    browser.resize(1200, 700)
    browser.show()
    return browser


def search_and_wait(qtbot, browser: CaseBrowser) -> None:
    browser.search()
    qtbot.waitUntil(lambda: not browser.loading, timeout=WAIT_MS)
    assert browser.status.text() == ""


def press_ok(dialog) -> None:  # noqa: ANN001
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


# --- paging --------------------------------------------------------------------------------


def test_pages_come_from_the_server_with_the_total(qtbot, qtmodeltester, server: Server) -> None:
    ids = seed_cases(server.ctx, server.service_id, 450)
    browser = open_browser(qtbot, server, page_size=200)
    search_and_wait(qtbot, browser)
    qtmodeltester.check(browser.model)
    assert browser.model.rowCount() == 200
    assert browser.page_label.text() == "Cases 1–200 of 450 (page 1 of 3)"
    assert not browser.previous_button.isEnabled() and browser.next_button.isEnabled()

    browser.next_button.click()
    qtbot.waitUntil(lambda: browser.model.paging.offset == 200, timeout=WAIT_MS)
    assert browser.model.row_at(0).case_id == ids[200]
    browser.next_button.click()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 50, timeout=WAIT_MS)
    assert browser.page_label.text() == "Cases 401–450 of 450 (page 3 of 3)"
    assert not browser.next_button.isEnabled() and browser.previous_button.isEnabled()
    qtmodeltester.check(browser.model)

    browser.text.setText(str(ids[7]))  # a bare number finds the case by id
    search_and_wait(qtbot, browser)
    assert [r.case_id for r in browser.model.rows()] == [ids[7]]
    assert browser.page_label.text() == "Cases 1–1 of 1 (page 1 of 1)"
    browser.text.setText("no such person")
    search_and_wait(qtbot, browser)
    assert browser.model.rowCount() == 0 and browser.page_label.text() == "No cases match"


def test_filters_by_state_and_holder(qtbot, server: Server) -> None:
    ids = seed_cases(server.ctx, server.service_id, 6)
    for case_id in ids[:2]:
        give(server.ctx, case_id, server.ids["enum1"])
    browser = open_browser(qtbot, server)
    browser.state.setCurrentIndex(browser.state.findData("held"))
    search_and_wait(qtbot, browser)
    assert [r.case_id for r in browser.model.rows()] == ids[:2]
    browser.state.setCurrentIndex(0)
    browser.holder.setEditText("enum2")
    search_and_wait(qtbot, browser)
    assert browser.model.rowCount() == 0


# --- the reassign flow ---------------------------------------------------------------------


def test_reassign_asks_whose_cases_and_a_reason_then_shows_each_result(
        qtbot, qtmodeltester, server: Server) -> None:
    ids = seed_cases(server.ctx, server.service_id, 12)
    for case_id in ids[:5]:
        give(server.ctx, case_id, server.ids["enum1"])
    browser = open_browser(qtbot, server)
    search_and_wait(qtbot, browser)
    browser.select_rows(range(12))

    browser.reassign_selected()
    picker = browser.dialog
    assert isinstance(picker, EnumeratorDialog)
    picker.choose("enum2")
    press_ok(picker)
    confirm = browser.dialog
    assert isinstance(confirm, ConfirmDialog)
    assert confirm.question.text() == (
        "Reassign 12 cases (5 held by enum1, 7 in the pool) to enum2? "
        "5 cases will be taken from enum1, who will see your reason.")
    assert not confirm.ok_button.isEnabled()  # a forced reassign needs a reason
    qtbot.keyClicks(confirm.reason, "   ")
    assert not confirm.ok_button.isEnabled()
    confirm.reason.setText("enum1 is on leave this week")
    assert confirm.ok_button.isEnabled()
    press_ok(confirm)

    qtbot.waitUntil(lambda: browser.results.rowCount() == 12, timeout=WAIT_MS)
    qtmodeltester.check(browser.results)
    assert {r.result for r in browser.results.rows()} == {"assigned"}
    assert browser.result_summary.text() == "Last change: Assigned 12"
    for case_id in ids:
        assert load_case(server.ctx, case_id).holder_id == server.ids["enum2"]
    qtbot.waitUntil(lambda: {r.holder for r in browser.model.rows()} == {"enum2"},
                    timeout=WAIT_MS)


def test_return_to_pool_without_forcing_refuses_nothing_it_cannot_do(
        qtbot, server: Server) -> None:
    ids = seed_cases(server.ctx, server.service_id, 3)
    give(server.ctx, ids[0], server.ids["enum1"])
    browser = open_browser(qtbot, server)
    search_and_wait(qtbot, browser)
    browser.select_rows([0, 1, 2])
    browser.return_selected()
    confirm = browser.dialog
    assert confirm.question.text() == (
        "Return 3 cases (1 held by enum1, 2 in the pool) to the pool? "
        "1 case will be taken from enum1, who will see your reason.")
    confirm.reason.setText("rebalancing")
    press_ok(confirm)
    qtbot.waitUntil(lambda: browser.results.rowCount() == 3, timeout=WAIT_MS)
    results = {r.case_id: r.result for r in browser.results.rows()}
    assert results == {ids[0]: "returned", ids[1]: "unchanged", ids[2]: "unchanged"}
    assert load_case(server.ctx, ids[0]).holder_id is None


def test_change_priority_of_the_selection(qtbot, server: Server) -> None:
    ids = seed_cases(server.ctx, server.service_id, 4)
    browser = open_browser(qtbot, server)
    search_and_wait(qtbot, browser)
    browser.select_rows([1, 3])
    browser.prioritise_selected()
    browser.dialog.value.setValue(85)
    press_ok(browser.dialog)
    confirm = browser.dialog
    assert confirm.question.text() == "Set the priority of 2 cases (2 in the pool) to 85?"
    assert confirm.ok_button.isEnabled()
    press_ok(confirm)
    qtbot.waitUntil(lambda: browser.results.rowCount() == 2, timeout=WAIT_MS)
    assert [load_case(server.ctx, i).priority for i in ids] == [50, 85, 50, 85]


def test_nothing_selected_says_so(qtbot, server: Server) -> None:
    browser = open_browser(qtbot, server)
    browser.reassign_selected()
    assert browser.dialog is None
    assert "Select one or more cases" in browser.status.text()
