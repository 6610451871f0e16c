"""A call room's day for the enumerator (issue 13), driven by keys as a person works: the next
due case after every outcome, F1 for the keys, dialling by hand, a disk that refuses a save,
closing with work not yet sent, and a script that shows progress but never internal names."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import event

from cati_app.client.store import LocalStore
from cati_app.core.protocol import Appointment
from cati_app.desktop.enumerator.dialer import ManualDialDialog, NoPhoneProgram
from cati_app.desktop.enumerator.help import KeysDialog
from cati_app.desktop.enumerator.outcome_picker import OutcomePicker
from cati_app.desktop.enumerator.sync_control import SyncController
from cati_app.desktop.settings import REMINDER_CHECK_SECONDS
from cati_app.desktop.worker import BackgroundRunner
from tests.desktop.helpers import WAIT_MS, button, open_window, press, queue_case, type_text

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ENTER = Qt.Key.Key_Return


def code_no_answer(qtbot, window) -> None:
    press(qtbot, window, Qt.Key.Key_O, CTRL)
    qtbot.waitUntil(lambda: window.findChild(OutcomePicker) is not None, timeout=WAIT_MS)
    picker = window.findChild(OutcomePicker)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is picker.outcomes, timeout=WAIT_MS)
    press(qtbot, picker, "N")
    with qtbot.waitSignal(picker.accepted, timeout=WAIT_MS):
        press(qtbot, picker, ENTER)
    picker.deleteLater()
    # back at the queue, ready for the next Ctrl+D
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.queue.table, timeout=WAIT_MS)


KEY_FOR = {"note": None, "yes_no": "Y", "select_one": "4"}


def answer_up_to_the_comment(qtbot, runner) -> list[str]:
    """Answer by keys (Yes, a rating of 4) until the comment item; the position texts seen."""
    seen = []
    while runner.session.current.type != "text":
        item = runner.session.current
        seen.append(runner.position.text())
        if KEY_FOR[item.type]:
            press(qtbot, runner, KEY_FOR[item.type])
        press(qtbot, runner, ENTER)
        assert runner.session.current is not item, runner.message.text()
    return seen


# --- one case after another -------------------------------------------------------------------

def test_after_an_outcome_the_card_moves_to_the_next_due_case_and_never_redials(
        qtbot, controller, dialer, settings, seeded_store):
    window = open_window(qtbot, controller, dialer, settings)
    window.queue.table.setFocus()
    first = window.queue.selected_case_id()
    assert first is not None  # the top of the queue order
    press(qtbot, window, Qt.Key.Key_D, CTRL)
    assert len(dialer.dialled) == 1
    code_no_answer(qtbot, window)

    # 101 is now a retry in 3 hours: off the due list, and the card shows the next due case
    following = window.queue.selected_case_id()
    assert following is not None and following != first
    assert window.card.respondent.text() == seeded_store.get_case(following).respondent_name
    press(qtbot, window, Qt.Key.Key_D, CTRL)
    assert len(dialer.dialled) == 2  # dialled the new case's number, not 101 again
    assert window.current_case().case_id == following


def test_with_nothing_else_due_no_case_is_selected_so_ctrl_d_dials_nobody(
        qtbot, controller, dialer, settings, seeded_store):
    window = open_window(qtbot, controller, dialer, settings)
    for _ in range(3):  # code every case in turn: each time the card moves on
        window.queue.table.setFocus()
        code_no_answer(qtbot, window)
    assert window.queue.selected_case_id() is None
    assert window.card.respondent.text() == "No case selected"
    press(qtbot, window, Qt.Key.Key_D, CTRL)
    assert dialer.dialled == []
    assert "Choose a case" in window.statusBar().currentMessage()


def test_f1_lists_every_key_of_the_workspace_and_the_script(qtbot, controller, dialer, settings):
    window = open_window(qtbot, controller, dialer, settings)
    press(qtbot, window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: window.findChild(KeysDialog) is not None, timeout=WAIT_MS)
    rows = dict(window.findChild(KeysDialog).rows())
    shortcuts = {a.shortcut().toString() for a in window.actions() if not a.shortcut().isEmpty()}
    assert shortcuts <= set(rows)  # every action's key is listed, read from the actions
    assert {"Ctrl+D", "Ctrl+O", "F5", "F1"} <= shortcuts
    assert "Ctrl+E" in rows and "end the interview early" in rows["Ctrl+E"]
    assert "Shift+Enter" in rows


def test_the_case_card_shows_the_language_the_respondent_speaks(
        qtbot, controller, dialer, settings, seeded_store, clock):
    seeded_store.store_claim("grant-dz", [queue_case(105, "Ugyen Tshering", priority=99)])
    with seeded_store._engine.begin() as connection:  # noqa: SLF001 - set the case's language
        connection.exec_driver_sql("UPDATE cases SET language = 'dz' WHERE case_id = 105")
    window = open_window(qtbot, controller, dialer, settings)
    assert window.queue.select_case(105)
    assert window.card.fields["language"].text() == "Dzongkha"
    assert window.queue.select_case(103)
    assert window.card.fields["language"].text() == "English"


# --- the queue keeps itself up to date ----------------------------------------------------------

def test_a_retry_falling_due_appears_without_ctrl_r_and_the_banner_goes_once_handled(
        qtbot, controller, dialer, settings, seeded_store, clock):
    settings.set(REMINDER_CHECK_SECONDS, 1)
    due = clock.now() + timedelta(minutes=4)
    seeded_store.store_claim("grant-2", [queue_case(
        104, "Dechen Zangmo", appointment=Appointment(at=due, kind="hard", booked_by="enum1"))])
    window = open_window(qtbot, controller, dialer, settings)
    window.start_background_work()
    qtbot.waitUntil(window.notice.isVisible, timeout=WAIT_MS)  # the reminder, 4 minutes ahead
    before = window.queue.counts.text()
    clock.advance(timedelta(minutes=5))  # the appointment is now due
    qtbot.waitUntil(lambda: window.queue.counts.text() != before, timeout=WAIT_MS)
    assert "appointment" in window.queue.counts.text().lower()

    assert window.queue.select_case(104)
    window.queue.table.setFocus()
    code_no_answer(qtbot, window)  # the appointment is handled
    assert not window.notice.isVisible()


# --- dialling without a phone program ----------------------------------------------------------

@dataclass
class NoTelHandler:
    tried: int = 0

    def dial(self, e164: str) -> None:
        self.tried += 1
        raise NoPhoneProgram("no program on this computer handles tel: links")


def test_without_a_phone_program_the_number_is_shown_large_and_dialled_by_hand(
        qtbot, controller, settings):
    window = open_window(qtbot, controller, NoTelHandler(), settings)
    window.queue.table.setFocus()
    press(qtbot, window, Qt.Key.Key_D, CTRL)
    qtbot.waitUntil(lambda: window.findChild(ManualDialDialog) is not None, timeout=WAIT_MS)
    dialog = window.findChild(ManualDialDialog)
    number = dialog.findChild(type(window.notice), "manualDialNumber")
    assert number.text().replace(" ", "").endswith("17123456")
    assert number.font().pointSizeF() > window.font().pointSizeF() * 2
    assert not window.call_timer.isVisible()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=WAIT_MS)
    press(qtbot, dialog, ENTER)  # "Dialled by hand" is the default button
    assert window.call_timer.isVisible() and window.call_timer.started_at is not None


# --- a disk that refuses a save ----------------------------------------------------------------

class ReadOnlyStore:
    """Turns the store's SQLite connections read-only, as a failing or write-protected drive
    does (the same switch as tests/reliability/test_disk_full.py)."""

    def __init__(self, store: LocalStore) -> None:
        self.engine = store._engine  # noqa: SLF001 - the only way in for a pragma per connection
        self.on = False
        event.listen(self.engine, "connect", self._apply)

    def _apply(self, dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        if self.on:
            dbapi_conn.cursor().execute("PRAGMA query_only = 1")

    def set(self, on: bool) -> None:
        self.on = on
        self.engine.dispose()


@pytest.fixture
def read_only(seeded_store: LocalStore) -> Iterator[ReadOnlyStore]:
    switch = ReadOnlyStore(seeded_store)
    yield switch
    switch.set(False)


def test_a_refused_outcome_save_says_so_keeps_the_note_and_the_window(
        qtbot, controller, dialer, settings, seeded_store, read_only):
    window = open_window(qtbot, controller, dialer, settings)
    window.queue.table.setFocus()
    case_id = window.queue.selected_case_id()
    calls_before = len(seeded_store.get_case(case_id).attempts)
    press(qtbot, window, Qt.Key.Key_O, CTRL)
    qtbot.waitUntil(lambda: window.findChild(OutcomePicker) is not None, timeout=WAIT_MS)
    picker = window.findChild(OutcomePicker)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is picker.outcomes, timeout=WAIT_MS)
    press(qtbot, picker, "H")  # hard refusal needs a note
    type_text(qtbot, picker, "Not interested, said twice")
    read_only.set(True)
    press(qtbot, picker, ENTER, CTRL)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox),
                    timeout=WAIT_MS)
    box = QApplication.activeModalWidget()
    assert "read-only" in box.text() and "what you typed is kept" in box.text()
    assert len(seeded_store.get_case(case_id).attempts) == calls_before
    read_only.set(False)
    press(qtbot, box, ENTER)  # OK: back in the picker, the note still there
    qtbot.waitUntil(picker.isVisible, timeout=WAIT_MS)
    assert picker.note.toPlainText() == "Not interested, said twice"
    assert window.isVisible()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is picker, timeout=WAIT_MS)
    picker.note.setFocus()
    with qtbot.waitSignal(picker.accepted, timeout=WAIT_MS):
        press(qtbot, picker, ENTER, CTRL)
    assert [a.note for a in seeded_store.get_case(case_id).attempts][-1:] == [
        "Not interested, said twice"]


def test_a_refused_answer_save_in_the_script_keeps_the_item_and_the_typed_text(
        qtbot, controller, dialer, settings, seeded_store, read_only):
    window = open_window(qtbot, controller, dialer, settings)
    window.queue.table.setFocus()
    case_id = window.queue.selected_case_id()
    press(qtbot, window, Qt.Key.Key_I, CTRL)
    runner = window.runner_widget
    assert runner is not None
    answer_up_to_the_comment(qtbot, runner)
    item = runner.session.current.name
    type_text(qtbot, runner, "The counter staff")
    read_only.set(True)
    press(qtbot, runner, ENTER)
    assert "Not saved on this computer" in runner.message.text()
    assert runner.session.current.name == item
    assert runner.comment.text() == "The counter staff"
    assert window.isVisible() and window.runner_widget is runner
    read_only.set(False)
    press(qtbot, runner, ENTER)
    assert runner.session.current.name != item
    assert seeded_store.open_draft(case_id).answers[item] == "The counter staff"


# --- the script ---------------------------------------------------------------------------------

def test_the_script_shows_a_percentage_and_never_an_internal_name(
        qtbot, controller, dialer, settings):
    window = open_window(qtbot, controller, dialer, settings)
    window.queue.table.setFocus()
    press(qtbot, window, Qt.Key.Key_I, CTRL)
    runner = window.runner_widget
    names = {item.name for item in runner.session.q.items}
    seen = answer_up_to_the_comment(qtbot, runner)
    assert not [text for text in seen if any(name in text for name in names)]
    assert seen[0].endswith("0% done")
    percents = [int(text.rsplit("·", 1)[1].split("%")[0]) for text in seen]
    assert percents == sorted(percents) and percents[-1] > 0


def test_the_comment_box_takes_several_lines(qtbot, controller, dialer, settings, seeded_store):
    window = open_window(qtbot, controller, dialer, settings)
    window.queue.table.setFocus()
    case_id = window.queue.selected_case_id()
    press(qtbot, window, Qt.Key.Key_I, CTRL)
    runner = window.runner_widget
    answer_up_to_the_comment(qtbot, runner)
    name = runner.session.current.name
    assert runner.comment.isVisible() and not runner.entry.isVisible()
    type_text(qtbot, runner, "First, the queue.")
    press(qtbot, runner, ENTER, SHIFT)
    type_text(qtbot, runner, "Second, the forms.")
    assert runner.session.current.name == name  # Shift+Enter is a new line, not "next"
    press(qtbot, runner, ENTER)
    assert seeded_store.open_draft(case_id).answers[name] == "First, the queue.\nSecond, the forms."


def test_the_question_stays_put_between_read_out_rating_and_comment_items(
        qtbot, controller, dialer, settings):
    window = open_window(qtbot, controller, dialer, settings)
    window.queue.table.setFocus()
    press(qtbot, window, Qt.Key.Key_I, CTRL)
    runner = window.runner_widget
    tops, kinds = set(), set()
    while True:
        item = runner.session.current
        QApplication.processEvents()
        tops.add(runner.question.geometry().top())
        kinds.add(item.type)
        if item.type == "text":
            break
        if KEY_FOR[item.type]:
            press(qtbot, runner, KEY_FOR[item.type])
        press(qtbot, runner, ENTER)
    assert {"note", "yes_no", "select_one", "text"} <= kinds
    assert len(tops) == 1


def test_ctrl_o_in_the_script_says_what_to_do(qtbot, controller, dialer, settings):
    window = open_window(qtbot, controller, dialer, settings)
    window.queue.table.setFocus()
    press(qtbot, window, Qt.Key.Key_I, CTRL)
    runner = window.runner_widget
    press(qtbot, runner, Qt.Key.Key_O, CTRL)
    assert "Ctrl+E" in runner.message.text()
    assert window.findChild(OutcomePicker) is None


# --- closing with work not yet sent ---------------------------------------------------------------

@dataclass
class Report:
    ok: bool = True
    errors: tuple[str, ...] = ()
    pushed: int = 1
    pulled: int = 0
    claimed: int = 0


class SendingEngine:
    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self.cycles = 0

    def run_cycle(self, progress=None) -> Report:
        self.cycles += 1
        return Report()


def closing_question(qtbot, window) -> QMessageBox:
    window.close()
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox),
                    timeout=WAIT_MS)
    return QApplication.activeModalWidget()


def test_closing_with_unsent_work_offers_to_send_it_first(
        qtbot, controller, dialer, settings, clock):
    controller.record_outcome(102, outcome="busy", phone_index=0, started_at=clock.now())
    engine = SendingEngine(controller.store)
    sync = SyncController(engine, BackgroundRunner(), clock.now, interval_minutes=5,
                          auth_error=PermissionError)
    window = open_window(qtbot, controller, dialer, settings, sync=sync, confirm_close=True)

    box = closing_question(qtbot, window)
    assert "1 item(s)" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert window.isVisible()  # Cancel: nothing happens

    box = closing_question(qtbot, window)
    with qtbot.waitSignal(sync.finished, timeout=WAIT_MS):
        qtbot.mouseClick(button(box, "Send"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert engine.cycles == 1


def test_closing_without_sending_keeps_the_work_on_disk(qtbot, controller, dialer, settings,
                                                        clock, seeded_store):
    controller.record_outcome(102, outcome="busy", phone_index=0, started_at=clock.now())
    sync = SyncController(SendingEngine(seeded_store), BackgroundRunner(), clock.now,
                          interval_minutes=5, auth_error=PermissionError)
    window = open_window(qtbot, controller, dialer, settings, sync=sync, confirm_close=True)
    box = closing_question(qtbot, window)
    qtbot.mouseClick(button(box, "Close without"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert seeded_store.pending_count() == 1


# --- a small screen -----------------------------------------------------------------------------

def test_at_1024_by_768_next_call_and_priority_stay_in_view(qtbot, controller, dialer, settings):
    window = open_window(qtbot, controller, dialer, settings)
    window.resize(1024, 768)
    qtbot.waitUntil(lambda: window.width() <= 1024, timeout=WAIT_MS)
    QApplication.processEvents()
    table = window.queue.table
    header = table.horizontalHeader()
    for column in (5, 6):  # Next call (BTT), Priority
        assert not header.isSectionHidden(column)
        right = header.sectionViewportPosition(column) + header.sectionSize(column)
        assert header.sectionViewportPosition(column) >= 0 and right <= table.viewport().width()
    assert header.sectionSize(1) >= 100  # the respondent's name stays readable
    assert window.queue.filter.width() >= 250  # the search field stays usable
    window.resize(1600, 900)  # room again: the columns that gave way come back
    qtbot.waitUntil(lambda: not header.isSectionHidden(2), timeout=WAIT_MS)
