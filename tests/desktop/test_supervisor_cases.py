"""The case browser end to end against the real server on a loopback port: paging, the
reassign flow with its confirmation and forced-reassign reason, return to pool, priority.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from sqlalchemy import text

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


def test_reassign_by_keyboard_needs_a_chosen_enumerator_and_a_reason(
        qtbot, server: Server) -> None:
    """Enter and Space, pressed out of habit, never reassign: the picker opens with nobody
    chosen and does not offer the enumerator who already holds the cases; the confirmation
    opens in the Reason box and cannot go on without a reason."""
    ids = seed_cases(server.ctx, server.service_id, 3)
    for case_id in ids:
        give(server.ctx, case_id, server.ids["enum1"])
    browser = open_browser(qtbot, server)
    browser.activateWindow()
    qtbot.waitUntil(browser.isActiveWindow, timeout=WAIT_MS)
    search_and_wait(qtbot, browser)
    browser.table.setFocus()
    qtbot.keyClick(browser.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.mouseClick(browser.reassign_button, Qt.MouseButton.LeftButton)
    picker = browser.dialog
    assert isinstance(picker, EnumeratorDialog)
    qtbot.waitUntil(picker.isActiveWindow, timeout=WAIT_MS)
    assert QApplication.focusWidget() is picker.choice
    assert [picker.choice.itemText(i) for i in range(picker.choice.count())] == [
        "Pema Choden (enum2)"]  # enum1 holds all three: not offered
    qtbot.keyClick(picker.choice, Qt.Key.Key_Return)
    assert browser.dialog is picker and picker.isVisible()  # nobody chosen: nothing happens
    qtbot.keyClick(picker.choice, Qt.Key.Key_Down)
    assert picker.username() == "enum2"
    qtbot.keyClick(picker.choice, Qt.Key.Key_Return)

    confirm = browser.dialog
    assert isinstance(confirm, ConfirmDialog)
    qtbot.waitUntil(confirm.isActiveWindow, timeout=WAIT_MS)
    assert QApplication.focusWidget() is confirm.reason
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Space, Qt.Key.Key_Enter, Qt.Key.Key_Space):
        qtbot.keyClick(QApplication.focusWidget(), key)
    assert confirm.isVisible() and not confirm.ok_button.isEnabled()
    assert browser.status.text() == ""  # nothing was sent
    qtbot.keyClicks(QApplication.focusWidget(), "enum1 is on leave")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: browser.results.rowCount() == 3, timeout=WAIT_MS)
    assert not confirm.isVisible()
    assert [load_case(server.ctx, i).holder_id for i in ids] == [server.ids["enum2"]] * 3


def test_a_picker_marks_who_holds_some_of_the_cases(qtbot, server: Server) -> None:
    ids = seed_cases(server.ctx, server.service_id, 3)
    give(server.ctx, ids[0], server.ids["enum1"])
    browser = open_browser(qtbot, server)
    search_and_wait(qtbot, browser)
    browser.select_rows(range(3))
    qtbot.mouseClick(browser.reassign_button, Qt.MouseButton.LeftButton)
    picker = browser.dialog
    assert [picker.choice.itemText(i) for i in range(picker.choice.count())] == [
        "Karma Dorji (enum1) — holds 1 of these", "Pema Choden (enum2)"]
    assert picker.choice.currentIndex() == -1 and not picker.ok_button.isEnabled()


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


def test_numbers_are_masked_and_shown_in_full_only_with_a_reason(qtbot, server: Server) -> None:
    ids = seed_cases(server.ctx, server.service_id, 2)
    browser = open_browser(qtbot, server)
    search_and_wait(qtbot, browser)
    assert all("•" in phone for row in browser.model.rows() for phone in row.phones)
    browser.select_rows([1])
    browser.table.setFocus()
    qtbot.mouseClick(browser.phones_button, Qt.MouseButton.LeftButton)
    asking = browser.dialog
    qtbot.waitUntil(lambda: QApplication.activeWindow() is asking, timeout=WAIT_MS)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # no reason: nothing shown
    assert "write why you need the numbers" in browser.status.text()
    assert browser.dialog is asking

    qtbot.mouseClick(browser.phones_button, Qt.MouseButton.LeftButton)
    asking = browser.dialog
    qtbot.waitUntil(lambda: QApplication.activeWindow() is asking, timeout=WAIT_MS)
    qtbot.keyClicks(QApplication.focusWidget(), "Respondent says the number is wrong")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: browser.dialog is not asking, timeout=WAIT_MS)
    shown = browser.dialog.text()
    assert f"Case {ids[1]}" in shown and "•" not in shown and "+975" in shown
    with server.ctx.read() as session:
        logged = session.execute(text(
            "SELECT user_id, details FROM audit_log WHERE action = 'case.phones_revealed'")).all()
    assert len(logged) == 1 and "number is wrong" in str(logged[0][1])


def test_a_change_acts_on_every_case_matching_the_filters_after_confirming_the_count(
        qtbot, server: Server) -> None:
    ids = seed_cases(server.ctx, server.service_id, 1205)  # more than a page and a request
    browser = open_browser(qtbot, server, page_size=200)
    search_and_wait(qtbot, browser)
    assert browser.model.rowCount() == 200
    qtbot.mouseClick(browser.all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: browser.matching is not None, timeout=WAIT_MS)
    assert "All 1,205 cases" in browser.status.text()

    qtbot.mouseClick(browser.priority_button, Qt.MouseButton.LeftButton)
    browser.dialog.value.setValue(90)
    press_ok(browser.dialog)
    confirm = browser.dialog
    assert confirm.question.text() == (
        "Set the priority of 1,205 cases (1,205 in the pool) to 90?")
    press_ok(confirm)
    qtbot.waitUntil(lambda: browser.results.rowCount() == 1205, timeout=30_000)
    assert {load_case(server.ctx, i).priority for i in (ids[0], ids[600], ids[-1])} == {90}
    assert browser.matching is None  # the next change starts from a new choice

    qtbot.mouseClick(browser.all_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: browser.matching is not None, timeout=WAIT_MS)
    qtbot.mouseClick(browser.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=browser.table.visualRect(browser.model.index(2, 0)).center())
    assert browser.matching is None  # a row clicked: back to the rows chosen by hand
    assert [c.case_id for c in browser.selected_cases()] == [ids[2]]


def good_calls(first_number: int) -> str:
    return ("name,phone,office,dzongkhag,date_availed\n"
            f"Karma Dorji,17{first_number:06d},Thimphu Office,Thimphu,2026-05-20\n"
            f"Pema Choden,77{first_number:06d},Paro Office,Paro,2026-05-21\n")


def test_call_lists_are_chosen_by_name_and_acted_on_whole(qtbot, server: Server,
                                                         tmp_path: Path) -> None:
    api = server.api()
    for n, name in enumerate(("June calls", "July calls")):
        source = tmp_path / f"{name}.csv"
        source.write_text(good_calls(123456 + n), encoding="utf-8")
        assert api.import_sample(source, "CID", batch_name=name).imported == 2
    browser = open_browser(qtbot, server)
    browser.load_call_lists()
    qtbot.waitUntil(lambda: browser.batch.count() == 3, timeout=WAIT_MS)
    labels = [browser.batch.itemText(i) for i in range(browser.batch.count())]
    assert labels[0] == "any call list" and labels[1].startswith("July calls (CID, 2 cases)")

    browser.batch.setFocus()
    qtbot.keyClick(browser.batch, Qt.Key.Key_Down)  # the newest list, by keyboard
    qtbot.keyClick(browser.batch, Qt.Key.Key_Down)  # then June
    assert browser.batch.currentText().startswith("June calls")
    search_and_wait(qtbot, browser)
    june = {r.case_id for r in browser.model.rows()}
    assert len(june) == 2 and all(r.batch_id == browser.batch.currentData()
                                  for r in browser.model.rows())

    qtbot.mouseClick(browser.all_button, Qt.MouseButton.LeftButton)  # the whole list
    qtbot.waitUntil(lambda: browser.matching is not None, timeout=WAIT_MS)
    assert {c.case_id for c in browser.matching} == june
    browser.load_call_lists()  # a refresh keeps the list chosen
    qtbot.waitUntil(lambda: browser.batch.count() == 3, timeout=WAIT_MS)
    assert browser.batch.currentText().startswith("June calls")
