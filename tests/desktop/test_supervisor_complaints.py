"""The supervisor's Complaints tab (issue 16) against the live server: an interview with a
complaint arrives; the supervisor finds its ticket, acknowledges it from the keyboard (a note
and Enter), changes its category and resolves it; nothing moves without a note."""

from __future__ import annotations

from PySide6.QtCore import Qt

from cati_app.desktop.supervisor.complaints import ComplaintsPage
from cati_app.desktop.worker import BackgroundRunner
from tests.desktop.enumerator_calls import EnumeratorCalls
from tests.desktop.supervision_server import WAIT_MS, Server
from tests.support.factories import COMPLETE_ANSWERS, interview_item, seed_cases

COMPLAINT = {**COMPLETE_ANSWERS, "complaint": "yes", "complaint_callback": "no",
             "complaint_text": "The counter staff shouted at me; call 77123456"}


def _page(qtbot, server: Server) -> ComplaintsPage:
    seed_cases(server.ctx, server.service_id, 1)
    enum1 = EnumeratorCalls(server.url, "enum1")
    case = enum1.claim(1)[0]
    assert enum1.push([interview_item(case, server.ctx.clock.now(), COMPLAINT)])[0][
        "status"] == "stored"
    page = ComplaintsPage(server.api(), BackgroundRunner())
    qtbot.addWidget(page)
    page.show()
    return page


def test_a_ticket_is_listed_masked_and_worked_from_the_keyboard(qtbot, qtmodeltester,
                                                                server: Server) -> None:
    page = _page(qtbot, server)
    page.set_services([("CID", "Issuance of New CID Card")])
    with qtbot.waitSignal(page.counted, timeout=WAIT_MS) as counted:
        page.refresh()
    assert counted.args == [1]
    qtmodeltester.check(page.model)
    ticket = page.model.row_at(0)
    assert ticket.text == "The counter staff shouted at me; call [phone]"
    assert ticket.category == "staff_attitude"
    assert page.model.index(0, 9).data() == ticket.text
    assert "77123456" not in " ".join(str(page.model.index(0, c).data())
                                      for c in range(page.model.columnCount()))

    assert page.selected() == ticket  # the first ticket is chosen: the keyboard starts there
    qtbot.keyClick(page.note, Qt.Key.Key_Return)
    assert "note" in page.status.text()  # nothing moves without one

    qtbot.keyClicks(page.note, "Passed to the office manager")
    with qtbot.waitSignal(page.counted, timeout=WAIT_MS) as counted:  # listed again
        qtbot.keyClick(page.note, Qt.Key.Key_Return)
    assert counted.args == [0]  # no longer open
    assert "acknowledged" in page.status.text()

    page.state.setCurrentIndex(page.state.findData(""))  # all
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT_MS)
    page.table.selectRow(0)
    page.category.setCurrentIndex(page.category.findData("delay"))
    qtbot.keyClicks(page.note, "It was the waiting, not the staff")
    qtbot.mouseClick(page.category_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1
                    and page.model.row_at(0).category == "delay", timeout=WAIT_MS)
    page.table.selectRow(0)
    assert not page.buttons["open"].isEnabled()  # acknowledged cannot go back
    qtbot.keyClicks(page.note, "Card issued")
    qtbot.mouseClick(page.buttons["resolved"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1
                    and page.model.row_at(0).state == "resolved", timeout=WAIT_MS)
    assert server.api().ticket(ticket.id).note == "Card issued"
