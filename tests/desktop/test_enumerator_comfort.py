"""The enumerator's timers, dial command, settings, release and correction flow, on the real
local store (SQLite file) and a fixed clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QApplication

from cati_app.core.protocol import Appointment, Correction, InterviewRejected
from cati_app.desktop.enumerator.dialer import CallTimer, DialError, SystemDialer, command_for
from cati_app.desktop.settings import (
    AUTO_SYNC_MINUTES,
    DIAL_COMMAND,
    SCRIPT_FONT_SIZE,
    TARGET_QUEUE_SIZE,
    THEME,
)
from cati_app.desktop.theme import apply_theme
from tests.desktop.helpers import RATINGS, WAIT_MS, open_window, queue_case, start_interview

# --- dial command ----------------------------------------------------------------------------


def test_dial_command_is_split_like_a_shell_but_never_run_by_one() -> None:
    assert command_for('"C:/Program Files/Phone/phone.exe" --call {number} --tag "a b"',
                       "+97517123456") == ["C:/Program Files/Phone/phone.exe", "--call",
                                           "+97517123456", "--tag", "a b"]
    # shell syntax stays literal text: no pipe, no substitution, no second command
    assert command_for("softphone {number}; rm -rf / $(id)", "+97517123456") == [
        "softphone", "+97517123456;", "rm", "-rf", "/", "$(id)"]
    assert command_for("dial tel:{number}", "+975") == ["dial", "tel:+975"]


@pytest.mark.parametrize(("template", "why"), [
    ("softphone --call", "must contain {number}"),
    ('softphone "{number}', "check its quotes"),
])
def test_bad_dial_commands_say_what_to_fix(template: str, why: str) -> None:
    with pytest.raises(DialError, match=why):
        command_for(template, "+97517123456")


# --- timers ----------------------------------------------------------------------------------


def test_call_timer_counts_from_the_clock(qtbot, clock) -> None:
    timer = CallTimer(clock.now)
    qtbot.addWidget(timer)
    timer.start()
    assert timer.text() == "On call 00:00" and timer.started_at == clock.now()
    clock.advance(timedelta(minutes=2, seconds=5))
    timer.refresh()
    assert timer.text() == "On call 02:05"
    timer.stop()
    assert timer.started_at is None and not timer.isVisible()


def test_reminder_shows_once_for_an_appointment_falling_due(qtbot, controller, dialer,
                                                            settings, seeded_store,
                                                            clock) -> None:
    due = clock.now() + timedelta(minutes=30)
    seeded_store.store_claim("grant-2", [queue_case(
        104, "Dechen Zangmo", appointment=Appointment(at=due, kind="hard", booked_by="enum1"))])
    window = open_window(qtbot, controller, dialer, settings)
    window.reminders.check()
    assert not window.notice.isVisible()  # half an hour away: not yet
    clock.advance(timedelta(minutes=27))
    with qtbot.waitSignal(window.reminders.reminder, timeout=WAIT_MS) as shown:
        window.reminders.check()
    assert shown.args[0].case_id == 104
    assert "Dechen Zangmo" in window.notice.text() and window.notice.isVisible()
    with qtbot.assertNotEmitted(window.reminders.reminder):
        window.reminders.check()  # announced once, not on every tick


class RecordingSystemDialer(SystemDialer):
    """The real dialer's settings handling; the command is recorded instead of started."""

    def __init__(self) -> None:
        super().__init__("")
        self.commands: list[list[str]] = []

    def dial(self, e164: str) -> None:
        if self.command_template:
            self.commands.append(command_for(self.command_template, e164))


# --- settings --------------------------------------------------------------------------------


def test_settings_are_saved_and_applied_without_a_restart(qtbot, controller, settings,
                                                          seeded_store) -> None:
    dialer = RecordingSystemDialer()
    window = open_window(qtbot, controller, dialer, settings)
    runner = start_interview(qtbot, window, 101)
    dialog = window.open_settings()
    dialog.dial_command.setText("softphone --call")  # no {number}: cannot be saved
    assert "must contain {number}" in dialog.problem.text()
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Save).isEnabled()
    dialog.dial_command.setText("softphone --call {number}")
    dialog.sync_minutes.setValue(12)
    dialog.queue_size.setValue(45)
    dialog.font_points.setValue(24)  # previewed live in the open script
    assert runner.question.font().pointSizeF() == 24.0
    assert runner.choices.font().pointSizeF() >= 20.0
    dialog.save()
    assert (settings.get(DIAL_COMMAND), settings.get(AUTO_SYNC_MINUTES),
            settings.get(TARGET_QUEUE_SIZE), settings.get(SCRIPT_FONT_SIZE)) == (
        "softphone --call {number}", 12, 45, 24)
    assert dialer.command_template == "softphone --call {number}"
    window.back_to_queue()
    window.dial()
    assert dialer.commands == [["softphone", "--call", "+97517123456"]]


def test_cancel_puts_the_previewed_size_and_theme_back(qtbot, controller, dialer, settings,
                                                       seeded_store) -> None:
    app = QApplication.instance()
    apply_theme(app, "light")
    window = open_window(qtbot, controller, dialer, settings)
    runner = start_interview(qtbot, window, 101)
    dialog = window.open_settings()
    dialog.font_points.setValue(30)
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    assert app.property("cati_scheme") == "dark"
    dialog.reject()
    assert runner.question.font().pointSizeF() == float(settings.get(SCRIPT_FONT_SIZE))
    assert settings.get(THEME) == "system"
    apply_theme(app, "light")


# --- release ---------------------------------------------------------------------------------


def test_release_needs_a_reason_and_queues_the_case_for_the_supervisor(
        qtbot, controller, dialer, settings, seeded_store) -> None:
    window = open_window(qtbot, controller, dialer, settings)
    assert window.queue.select_case(103)
    dialog = window.release_case()
    dialog.textValueSelected.emit("   ")  # a blank reason keeps the case
    assert window.statusBar().currentMessage().startswith("Not released")
    assert window.queue.model.row_of(103) is not None
    assert [i for i in seeded_store.outbox_batch(100, 10**7) if i.kind == "case_release"] == []
    dialog = window.release_case()
    dialog.setTextValue("respondent moved abroad")
    dialog.accept()
    assert window.queue.model.row_of(103) is None
    [item] = [i for i in seeded_store.outbox_batch(100, 10**7) if i.kind == "case_release"]
    assert item.case_id == 103 and item.payload["reason"] == "respondent moved abroad"


# --- correction ------------------------------------------------------------------------------


def finish_case_101(qtbot, window, seeded_store) -> tuple[str, str]:
    """A complete interview of case 101, uploaded; its interview and version uuids."""
    runner = start_interview(qtbot, window, 101)
    session = runner.session
    for name, value in {"consent": "yes", "availed": "yes", **RATINGS, "complaint": "no"}.items():
        session.controller.save_answer(session.interview_uuid, name, value, current_item=name)
    session.finish()
    window.back_to_queue()
    [pushed] = [i for i in seeded_store.outbox_batch(100, 10**7)
                if i.kind == "interview_version"]
    return pushed.payload["interview_uuid"], pushed.payload["version_uuid"]


def test_returned_interview_shows_the_comment_and_reopens_prefilled(
        qtbot, controller, dialer, settings, seeded_store) -> None:
    window = open_window(qtbot, controller, dialer, settings)
    interview, version = finish_case_101(qtbot, window, seeded_store)
    sent_back = {**RATINGS, "consent": "yes", "availed": "yes", "complaint": "no",
                 "acc_info": "1"}
    # as servers sent corrections before they travelled in the case's view
    seeded_store.apply_changes([InterviewRejected(
        seq=5, case_id=101, assignment_version=1,
        body=Correction(interview_uuid=interview, version_uuid=version, answers=sent_back,
                        comment="acc_info was misheard: ask it again"))], "5")
    window.refresh()
    assert window.queue.select_case(101)
    assert window.card.fields["correction"].text() == (
        "returned for correction: acc_info was misheard: ask it again")
    assert window.interview_button.text().startswith("Resume")
    runner = start_interview(qtbot, window, 101)
    assert runner.correction.text().endswith("acc_info was misheard: ask it again")
    assert runner.header.text() == "Karma Wangchuk  ·  Issuance of New CID Card  ·  " \
        "☎ +975 17 12 34 56"
    assert runner.session.answers == sent_back  # pre-filled with what was sent back
    runner.session.current = runner.session.q.item("acc_info")
    runner.show_current()
    qtbot.keyClick(runner, "4")
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS):
        for _ in range(20):
            if window.runner_widget is None:
                break
            runner.go_next()
    corrected = [i for i in seeded_store.outbox_batch(100, 10**7)
                 if i.kind == "interview_version" and i.payload["version_uuid"] != version]
    assert len(corrected) == 1
    assert corrected[0].payload["base_version_uuid"] == version
    assert corrected[0].payload["answers"]["acc_info"] == "4"
    assert seeded_store.get_case(101).correction is None
