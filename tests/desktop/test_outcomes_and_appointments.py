"""Coding a call outcome by key (with its required note) and booking call-backs inside and
outside the calling windows, through the workspace into the real local store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import QApplication

from cati_app.core.calendar import CallingCalendar
from cati_app.desktop.enumerator.appointment import AppointmentRefused, check_appointment
from cati_app.desktop.enumerator.outcome_picker import OutcomePicker
from tests.desktop.helpers import WAIT_MS, open_window, press, type_text

CTRL = Qt.KeyboardModifier.ControlModifier
ENTER = Qt.Key.Key_Return


def open_picker(qtbot, window, case_id: int):
    assert window.queue.select_case(case_id)
    window.queue.table.setFocus()
    press(qtbot, window, Qt.Key.Key_O, CTRL)
    qtbot.waitUntil(lambda: window.findChild(OutcomePicker) is not None, timeout=WAIT_MS)
    picker = window.findChild(OutcomePicker)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is picker.outcomes, timeout=WAIT_MS)
    return picker


def test_outcome_by_key_requires_its_note(qtbot, controller, dialer, settings, seeded_store):
    window = open_window(qtbot, controller, dialer, settings)
    picker = open_picker(qtbot, window, 103)
    press(qtbot, picker, "H")  # hard refusal (respondent): needs a note
    assert picker.selected().key == "hard_refusal"
    press(qtbot, picker, ENTER, CTRL)  # from the note field, still empty
    assert picker.isVisible()
    assert "note is required" in picker.message.text()
    assert seeded_store.get_case(103).attempts == ()

    type_text(qtbot, picker, "Said the survey is a waste of time")
    with qtbot.waitSignal(picker.accepted, timeout=WAIT_MS):
        press(qtbot, picker, ENTER, CTRL)
    case = seeded_store.get_case(103)
    assert [(a.outcome, a.note) for a in case.attempts] == [
        ("hard_refusal", "Said the survey is a waste of time")]
    assert case.state == "done"
    assert window.queue.model.row_of(103) is None  # final outcome: off the queue
    assert seeded_store.pending_count() == 1


def test_outcome_without_note_saves_on_enter_and_schedules_a_retry(qtbot, controller, dialer,
                                                                   settings, seeded_store):
    window = open_window(qtbot, controller, dialer, settings)
    picker = open_picker(qtbot, window, 101)
    press(qtbot, picker, "N")  # no answer
    with qtbot.waitSignal(picker.accepted, timeout=WAIT_MS):
        press(qtbot, picker, ENTER)
    case = seeded_store.get_case(101)
    assert case.last_outcome == "no_answer"
    assert case.next_call_at == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)  # + 3 h
    assert window.queue.model.case_at(window.queue.model.row_of(101)).attempt_count


def set_local(picker, day: QDate, hour: int, minute: int = 0) -> None:
    picker.appointment.date_edit.setDate(day)
    picker.appointment.time_edit.setTime(QTime(hour, minute))


def test_appointment_outside_the_windows_is_refused_then_booked_inside(
        qtbot, controller, dialer, settings, seeded_store):
    window = open_window(qtbot, controller, dialer, settings)
    picker = open_picker(qtbot, window, 101)
    press(qtbot, picker, "A")
    assert picker.appointment.isVisible()
    set_local(picker, QDate(2026, 6, 1), 21, 0)  # Monday 21:00: after the 09-20 window
    picker.try_accept()
    assert picker.isVisible()
    assert "outside the calling windows" in picker.message.text()
    assert "Tue 02 Jun 09:00" in picker.message.text()  # and says when calling opens again
    set_local(picker, QDate(2026, 6, 7), 11, 0)  # a Sunday: no calling
    picker.try_accept()
    assert "outside the calling windows" in picker.message.text()

    set_local(picker, QDate(2026, 6, 1), 15, 30)
    picker.appointment.kind.setCurrentIndex(picker.appointment.kind.findData("hard"))
    with qtbot.waitSignal(picker.accepted, timeout=WAIT_MS):
        picker.try_accept()
    case = seeded_store.get_case(101)
    assert case.last_outcome == "appointment"
    assert case.appointment is not None
    assert case.appointment.at == datetime(2026, 6, 1, 9, 30, tzinfo=UTC)  # 15:30 Thimphu
    assert case.appointment.kind == "hard"


@pytest.mark.parametrize(("when", "problem"), [
    (datetime(2026, 6, 1, 3, 0, tzinfo=UTC), "already passed"),
    (datetime(2026, 6, 1, 14, 0, tzinfo=UTC), "outside the calling windows"),  # 20:00 local
    (datetime(2026, 6, 6, 11, 0, tzinfo=UTC), "outside the calling windows"),  # Sat 17:00
])
def test_check_appointment_refuses_with_a_reason(when, problem):
    now = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
    with pytest.raises(AppointmentRefused, match=problem):
        check_appointment(when, now, CallingCalendar())


def test_check_appointment_accepts_the_last_minute_of_a_window():
    now = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
    at = datetime(2026, 6, 1, 13, 59, tzinfo=UTC)  # 19:59 Thimphu
    assert check_appointment(at, now, CallingCalendar()) == at
