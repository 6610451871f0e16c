"""Issue 18 at the enumerator's desk: the case card shows the respondent's language (and the
claim's "language may not match" warning), the outcome dialog codes a language referral with
the keyboard, and the interview opens in the case's language where the script has it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cati_app.desktop.enumerator.outcome_picker import OutcomePicker
from cati_app.desktop.settings import SCRIPT_LANGUAGE
from tests.desktop.helpers import WAIT_MS, open_window, press, queue_case, start_interview

ENTER = Qt.Key.Key_Return


def claim(store, case_id: int, language: str, may_not_match: bool = False) -> None:  # noqa: ANN001
    store.store_claim(f"grant-{case_id}", [queue_case(case_id, f"Respondent {case_id}")
                                           .model_copy(update={
                                               "language": language,
                                               "language_may_not_match": may_not_match})])


def test_the_card_shows_the_language_and_warns_when_it_may_not_match(
        qtbot, controller, dialer, settings, seeded_store):
    claim(seeded_store, 201, "ne", may_not_match=True)
    claim(seeded_store, 202, "any")
    window = open_window(qtbot, controller, dialer, settings)
    shown = window.card.fields["language"]
    assert window.queue.select_case(101)
    qtbot.waitUntil(lambda: shown.text() == "English", timeout=WAIT_MS)
    assert "may not match" not in shown.text() and shown.styleSheet() == ""
    assert shown.font().pointSizeF() > window.card.fields["office"].font().pointSizeF()
    assert window.queue.select_case(201)
    qtbot.waitUntil(lambda: "Lhotshamkha (Nepali)" in shown.text(), timeout=WAIT_MS)
    assert "language may not match" in shown.text() and "color" in shown.styleSheet()
    assert window.queue.select_case(202)
    qtbot.waitUntil(lambda: shown.text() == "not known", timeout=WAIT_MS)


def test_a_language_referral_is_coded_by_keyboard_and_leaves_the_queue(
        qtbot, controller, dialer, settings, seeded_store):
    window = open_window(qtbot, controller, dialer, settings)
    assert window.queue.select_case(101)
    window.queue.table.setFocus()
    press(qtbot, window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.findChild(OutcomePicker) is not None, timeout=WAIT_MS)
    picker = window.findChild(OutcomePicker)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is picker.outcomes, timeout=WAIT_MS)
    press(qtbot, picker, "G")
    assert picker.selected().key == "language_needed" and picker.language.isVisible()
    assert QApplication.focusWidget() is picker.language
    picker.try_accept()  # no language chosen yet
    assert picker.isVisible() and "Choose the language" in picker.message.text()
    assert seeded_store.get_case(101).attempts == ()
    for _ in range(3):  # — choose —, Dzongkha, Tshangla, Lhotshamkha
        press(qtbot, picker, Qt.Key.Key_Down)
    assert picker.language.currentData() == "ne"
    with qtbot.waitSignal(picker.accepted, timeout=WAIT_MS):
        press(qtbot, picker, ENTER)
    case = seeded_store.get_case(101)
    assert (case.language, case.state, case.last_outcome) == ("ne", "done", "language_needed")
    qtbot.waitUntil(lambda: window.queue.model.row_of(101) is None, timeout=WAIT_MS)


def test_the_interview_opens_in_the_cases_language_where_the_script_has_it(
        qtbot, controller, dialer, settings, seeded_store):
    claim(seeded_store, 201, "dz")
    claim(seeded_store, 202, "ne")  # the default script has no Lhotshamkha text
    settings.set(SCRIPT_LANGUAGE, "en")
    window = open_window(qtbot, controller, dialer, settings)
    runner = start_interview(qtbot, window, 201)
    assert runner.session.language == "dz"
    assert runner.language.currentData() == "dz"
    press(qtbot, window, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)  # back to queue
    qtbot.waitUntil(lambda: window.pages.currentIndex() == 0, timeout=WAIT_MS)
    runner = start_interview(qtbot, window, 202)
    assert runner.session.language == "en"  # the enumerator's choice


def test_a_number_on_the_do_not_call_register_is_shown_so_and_never_selected(
        qtbot, controller, dialer, settings, seeded_store):
    # the server blanks a register number in its place (services/cases/case_views.py)
    seeded_store.store_claim("grant-301", [queue_case(301, "Respondent 301").model_copy(
        update={"phones": ["", "+97517654321"]})])
    window = open_window(qtbot, controller, dialer, settings)
    assert window.queue.select_case(301)
    phones = window.card.phones
    qtbot.waitUntil(lambda: phones.count() == 2, timeout=WAIT_MS)
    assert phones.item(0).text() == "1.  not to be called (do-not-call register)"
    assert phones.item(0).flags() == Qt.ItemFlag.NoItemFlags
    assert window.card.selected_phone() == "+97517654321"
    assert window.card.selected_phone_index() == 1
