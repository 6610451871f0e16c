"""A whole interview of the default questionnaire driven from the keyboard, saved answer by
answer in the real local store; resume after leaving and after a restart."""

from __future__ import annotations

from PySide6.QtCore import Qt

from cati_app.client.store import LocalStore
from cati_app.desktop.enumerator.controller import EnumeratorController
from tests.desktop.helpers import (
    RATINGS,
    USERNAME,
    WAIT_MS,
    open_window,
    press,
    start_interview,
    type_text,
)

ENTER = Qt.Key.Key_Return
CTRL = Qt.KeyboardModifier.ControlModifier
KEY_OF = {"dk": "D", "ref": "R"}


def test_whole_interview_by_keyboard_saves_every_answer(qtbot, controller, dialer, settings,
                                                        seeded_store):
    window = open_window(qtbot, controller, dialer, settings)
    runner = start_interview(qtbot, window, 101)
    assert dialer.dialled == ["+97517123456"]
    assert runner.session.current.name == "intro"
    assert "Karma Wangchuk" in runner.question.text()  # fill tag filled from the case
    assert "Tashi Lhamo" in runner.question.text()

    press(qtbot, runner, ENTER)  # intro read out
    press(qtbot, runner, ENTER)  # consent not answered yet: refused with a message
    assert runner.session.current.name == "consent"
    assert "needs an answer" in runner.message.text()
    for key in ("Y", ENTER, "Y", ENTER, ENTER):  # consent, availed, rating intro
        press(qtbot, runner, key)
    for name, answer in RATINGS.items():
        assert runner.session.current.name == name
        press(qtbot, runner, KEY_OF.get(answer, answer))
        # saved the moment the key is pressed, before Enter
        assert seeded_store.open_draft(101).answers[name] == answer
        press(qtbot, runner, ENTER)
    assert runner.session.current.name == "comment"
    type_text(qtbot, runner, "Staff were helpful")
    press(qtbot, runner, ENTER)
    press(qtbot, runner, "N")  # no complaint: complaint_text is skipped
    press(qtbot, runner, ENTER)
    assert runner.session.current.name == "closing"
    position, total = runner.session.progress()
    assert position == total and runner.progress.value() == total

    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS) as finished:
        press(qtbot, runner, ENTER)
    assert finished.args == ["complete"]
    assert seeded_store.open_draft(101) is None
    items = [i for i in seeded_store.outbox_batch(100, 10_000_000) if i.kind == "interview_version"]
    assert len(items) == 1
    assert items[0].payload["answers"] == {"consent": "yes", "availed": "yes", **RATINGS,
                                           "comment": "Staff were helpful", "complaint": "no"}
    assert window.runner_widget is None  # back at the queue
    assert window.queue.model.row_of(101) is None  # a complete interview leaves the queue


def test_backspace_goes_back_and_a_changed_answer_is_saved(qtbot, controller, dialer, settings,
                                                           seeded_store):
    window = open_window(qtbot, controller, dialer, settings)
    runner = start_interview(qtbot, window, 103)
    for key in (ENTER, "Y", ENTER):
        press(qtbot, runner, key)
    assert runner.session.current.name == "availed"
    press(qtbot, runner, Qt.Key.Key_Backspace)
    assert runner.session.current.name == "consent"
    press(qtbot, runner, "N")
    press(qtbot, runner, ENTER)
    assert runner.session.current.name == "close_refusal"  # skip logic took the other branch
    assert seeded_store.open_draft(103).answers == {"consent": "no"}
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS) as finished:
        press(qtbot, runner, ENTER)
    assert finished.args == ["hard_refusal"]


def test_reopening_resumes_at_the_same_item_even_after_a_restart(
        qtbot, controller, dialer, settings, seeded_store, tmp_path, clock):
    window = open_window(qtbot, controller, dialer, settings)
    runner = start_interview(qtbot, window, 101)
    for key in (ENTER, "Y", ENTER, "Y", ENTER, ENTER, "4", ENTER):
        press(qtbot, runner, key)
    assert runner.session.current.name == "acc_reach"
    press(qtbot, runner, Qt.Key.Key_Q, CTRL)  # back to the queue; the draft stays
    assert window.runner_widget is None
    assert window.interview_button.text().startswith("Resume")
    runner = start_interview(qtbot, window, 101)
    assert runner.session.current.name == "acc_reach"
    window.close()

    seeded_store.close()  # as if the app had been killed and started again
    reopened = LocalStore.open(tmp_path / "local.sqlite3", username=USERNAME, clock=clock)
    try:
        again = EnumeratorController(reopened, clock, username=USERNAME)
        window2 = open_window(qtbot, again, dialer, settings)
        runner2 = start_interview(qtbot, window2, 101)
        assert runner2.session.current.name == "acc_reach"
        assert runner2.session.answers["acc_info"] == "4"
        window2.close()
    finally:
        reopened.close()


def test_language_switch_shows_dzongkha_in_the_dzongkha_font(qtbot, controller, dialer,
                                                             settings):
    window = open_window(qtbot, controller, dialer, settings, dzongkha_family="DDC Uchen")
    runner = start_interview(qtbot, window, 101)
    english = runner.question.text()
    press(qtbot, runner, Qt.Key.Key_L, CTRL)
    assert runner.session.language == "dz"
    assert runner.question.text() != english
    assert "ཀུ་ཟུ་ཟང་པོ" in runner.question.text()
    # the usual font first (Latin text awaiting translation stays readable), DDC Uchen for
    # the Tibetan script the usual font lacks
    families = runner.question.font().families()
    assert families[-1] == "DDC Uchen" and families[0] != "DDC Uchen"
