"""Every item type the questionnaire allows, driven from the keyboard in the script runner:
several answers (ticks), decimals, constraints with their message in the script's language,
and yes/no labels from the questionnaire. Answers are checked in the real local store draft."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from cati_app.core.questionnaire import Questionnaire
from cati_app.desktop.enumerator.script_runner import ScriptRunner
from tests.desktop.helpers import WAIT_MS, press, type_text
from tests.desktop.script_runner_helpers import (
    AT_MOST_TWO,
    CASE,
    open_runner,
    types_questionnaire,
)

ENTER = Qt.Key.Key_Return
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def questionnaire() -> Questionnaire:
    return types_questionnaire()


def saved(store) -> dict:
    return store.open_draft(CASE).answers


def ticked(runner: ScriptRunner) -> list[str]:
    rows = [runner.choices.item(r) for r in range(runner.choices.count())]
    return [str(row.data(Qt.ItemDataRole.UserRole)) for row in rows
            if row.checkState() == Qt.CheckState.Checked]


def answer_media_and_age(qtbot, runner: ScriptRunner) -> None:
    for key in ("1", "3", ENTER):
        press(qtbot, runner, key)
    type_text(qtbot, runner, "34")
    press(qtbot, runner, ENTER)
    assert runner.session.current.name == "fee"


def test_ticks_are_saved_as_they_change_and_the_constraint_holds_the_item(
        qtbot, controller, seeded_store, questionnaire):
    runner = open_runner(qtbot, controller, questionnaire)
    press(qtbot, runner, ENTER)  # required: at least one tick
    assert runner.session.current.name == "media"
    assert runner.message.text() == "Pick at least one answer."

    press(qtbot, runner, "1")
    assert saved(seeded_store)["media"] == "radio"
    press(qtbot, runner, "3")
    assert saved(seeded_store)["media"] == "radio phone"
    press(qtbot, runner, "2")  # stored in choice-list order, whatever the order pressed
    assert saved(seeded_store)["media"] == "radio tv phone"
    assert ticked(runner) == ["radio", "tv", "phone"]

    press(qtbot, runner, ENTER)  # three is one too many: stay, say why, keep the ticks
    assert runner.session.current.name == "media"
    assert runner.message.text() == AT_MOST_TWO["en"]
    assert saved(seeded_store)["media"] == "radio tv phone"

    press(qtbot, runner, "1")  # untick radio
    assert saved(seeded_store)["media"] == "tv phone"
    assert runner.message.text() == ""
    press(qtbot, runner, ENTER)
    assert runner.session.current.name == "age"
    assert seeded_store.open_draft(CASE).current_item == "age"


def test_space_ticks_the_highlighted_choice_and_dont_know_stands_alone(
        qtbot, controller, seeded_store, questionnaire):
    runner = open_runner(qtbot, controller, questionnaire)
    assert runner.choices.currentRow() == 0
    press(qtbot, runner, Qt.Key.Key_Down)
    press(qtbot, runner, Qt.Key.Key_Down)
    press(qtbot, runner, Qt.Key.Key_Space)
    assert saved(seeded_store)["media"] == "phone"
    assert runner.choices.currentRow() == 2
    press(qtbot, runner, Qt.Key.Key_Space)  # again: untick, the answer is gone
    assert "media" not in saved(seeded_store)

    press(qtbot, runner, "4")
    press(qtbot, runner, "D")  # Don't know clears the real answers...
    assert saved(seeded_store)["media"] == "dk"
    press(qtbot, runner, "2")  # ...and a real answer clears Don't know
    assert saved(seeded_store)["media"] == "tv"


def test_a_tick_given_with_the_mouse_is_saved(qtbot, controller, seeded_store, questionnaire):
    runner = open_runner(qtbot, controller, questionnaire)
    runner.choices.item(3).setCheckState(Qt.CheckState.Checked)  # what a click on the box does
    qtbot.waitUntil(lambda: saved(seeded_store).get("media") == "paper", timeout=WAIT_MS)
    assert ticked(runner) == ["paper"]


def test_constraint_message_follows_the_script_language(qtbot, controller, seeded_store,
                                                        questionnaire):
    runner = open_runner(qtbot, controller, questionnaire)
    press(qtbot, runner, Qt.Key.Key_L, CTRL)
    assert runner.session.language == "dz"
    assert "རེ་ཌིའོ།" in runner.choices.item(0).text()
    for key in ("1", "2", "3", ENTER):
        press(qtbot, runner, key)
    assert runner.message.text() == AT_MOST_TWO["dz"]
    assert runner.session.current.name == "media"


def test_integer_constraint_keeps_the_answer_and_stays_until_corrected(
        qtbot, controller, seeded_store, questionnaire):
    runner = open_runner(qtbot, controller, questionnaire)
    for key in ("1", ENTER):
        press(qtbot, runner, key)
    type_text(qtbot, runner, "16")
    press(qtbot, runner, ENTER)
    assert runner.session.current.name == "age"
    assert runner.message.text() == "The respondent must be 18 or older."
    assert saved(seeded_store)["age"] == 16  # what was said is kept, only flagged

    type_text(qtbot, runner, "0")  # 160: past the maximum, which is checked first
    press(qtbot, runner, ENTER)
    assert runner.message.text() == "The answer must be at most 120."
    for _ in range(3):
        press(qtbot, runner, Qt.Key.Key_Backspace)  # in the entry: deletes, does not go back
    assert runner.session.current.name == "age"
    type_text(qtbot, runner, "34")
    press(qtbot, runner, ENTER)
    assert runner.session.current.name == "fee"
    assert saved(seeded_store)["age"] == 34


def test_decimal_takes_a_point_or_a_comma_and_enforces_its_bounds(
        qtbot, controller, seeded_store, questionnaire):
    runner = open_runner(qtbot, controller, questionnaire)
    answer_media_and_age(qtbot, runner)

    type_text(qtbot, runner, "12a")  # the letter never reaches the entry
    assert runner.entry.text() == "12"
    type_text(qtbot, runner, "00")
    press(qtbot, runner, ENTER)
    assert runner.message.text() == "The answer must be at most 1000."
    assert saved(seeded_store)["fee"] == 1200.0
    assert runner.session.current.name == "fee"

    runner.entry.clear()
    type_text(qtbot, runner, "-")
    press(qtbot, runner, ENTER)  # not a number yet: nothing saved over the old answer
    assert runner.message.text() == "Type a number, for example 12.5."
    assert runner.session.current.name == "fee"
    assert saved(seeded_store)["fee"] == 1200.0

    press(qtbot, runner, Qt.Key.Key_Backspace)
    type_text(qtbot, runner, "12,5")  # a comma typed by habit is a decimal point
    press(qtbot, runner, ENTER)
    assert saved(seeded_store)["fee"] == 12.5
    assert runner.session.current.name == "agree"


def test_reopening_shows_the_ticks_and_the_decimal_as_saved(
        qtbot, controller, seeded_store, questionnaire):
    runner = open_runner(qtbot, controller, questionnaire)
    answer_media_and_age(qtbot, runner)
    type_text(qtbot, runner, "7.25")
    press(qtbot, runner, ENTER)
    runner.close()

    again = open_runner(qtbot, controller, questionnaire)
    assert again.session.current.name == "agree"
    press(qtbot, again, Qt.Key.Key_Backspace)
    assert again.entry.text() == "7.25"
    press(qtbot, again, Qt.Key.Key_PageUp)  # while typing, PageUp goes back
    assert again.entry.text() == "34"
    press(qtbot, again, Qt.Key.Key_PageUp)
    assert again.session.current.name == "media"
    assert ticked(again) == ["radio", "phone"]
    position, total = again.session.progress()
    assert (position, total) == (1, 5)
    assert again.position.text() == "Question 1 of 5 · 0% done"  # no internal item name


def test_yes_no_uses_the_questionnaire_labels_in_the_script_language(
        qtbot, controller, seeded_store, questionnaire):
    runner = open_runner(qtbot, controller, questionnaire)
    answer_media_and_age(qtbot, runner)
    type_text(qtbot, runner, "10")
    press(qtbot, runner, ENTER)
    assert [runner.choices.item(r).text() for r in range(2)] == ["Y\tYes", "N\tNo"]
    press(qtbot, runner, Qt.Key.Key_L, CTRL)
    # Dzongkha where the questionnaire has it, English where it does not
    assert [runner.choices.item(r).text() for r in range(2)] == ["Y\tཨིན།", "N\tNo"]
    press(qtbot, runner, "Y")
    assert saved(seeded_store)["agree"] == "yes"
    press(qtbot, runner, ENTER)
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS):
        press(qtbot, runner, ENTER)  # the closing note
    assert seeded_store.open_draft(CASE) is None
