"""Complaint tickets' pure rules: masking, categories, reading complaints and call-back answers
from interviews, the workflow."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cati_app.core import complaints as rules
from cati_app.core.questionnaire import default_questionnaire

# --- masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [
    "+975 17123456", "+975 17 12 34 56", "+97517123456", "17123456", "77123456", "77-123-456",
    "17 12 34 56", "02-323456", "02 323456", "02323456", "00975 77 123 456", "(+975) 17123456",
    "975-17-123-456", "16.12.34.56",
])
def test_bhutanese_phone_numbers_are_masked(number: str) -> None:
    masked = rules.mask_numbers(f"Call me on {number} after five.")
    assert masked == "Call me on [phone] after five."


@pytest.mark.parametrize("cid", ["11512003456", "115 1200 3456", "115-1200-3456",
                                 "1 1 5 1 2 0 0 3 4 5 6"])
def test_a_cid_is_masked_as_one(cid: str) -> None:
    assert rules.mask_numbers(f"my CID {cid}, please") == "my CID [CID], please"


def test_dates_amounts_and_counts_are_kept() -> None:
    text = "On 2026-11-03 I paid Nu. 500 and waited 3 hours at counter 12."
    assert rules.mask_numbers(text) == text


def test_ticket_text_is_cleaned_trimmed_and_bounded() -> None:
    assert rules.ticket_text("  rude\x00 staff  ") == "rude staff"
    assert len(rules.ticket_text("a" * 5000)) == rules.MAX_TEXT


_SEPARATORS = st.sampled_from(["", " ", "-", " - ", "."])


@st.composite
def phone_written(draw: st.DrawFn) -> str:
    """A Bhutanese mobile or landline number, written some way people write one."""
    if draw(st.booleans()):
        digits = draw(st.sampled_from(["17", "77", "16"])) + draw(
            st.text("0123456789", min_size=6, max_size=6))
    else:
        digits = "0" + draw(st.sampled_from("2345678")) + draw(
            st.text("0123456789", min_size=6, max_size=6))
    groups, rest = [], digits
    while rest:
        size = draw(st.integers(1, 4))
        groups.append(rest[:size])
        rest = rest[size:]
    body = groups[0] + "".join(draw(_SEPARATORS) + group for group in groups[1:])
    prefix = draw(st.sampled_from(["", "+975 ", "+975", "00975 ", "975-"]))
    return prefix + body


_WORDS = st.text(alphabet="abcdefghij ,", max_size=20)


@given(before=_WORDS, number=phone_written(), after=_WORDS)
def test_any_written_phone_number_in_text_is_masked(before: str, number: str,
                                                    after: str) -> None:
    masked = rules.mask_numbers(f"{before} {number} {after}")
    digits_left = re.findall(r"\d", masked)
    assert "[phone]" in masked or "[CID]" in masked
    assert not digits_left  # no digit of the number survives


@given(st.text("0123456789", min_size=7, max_size=30), _WORDS)
def test_no_run_of_seven_digits_survives(digits: str, words: str) -> None:
    masked = rules.mask_numbers(f"{words} {digits} {words}")
    assert not re.search(r"\d{7}", masked)


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs", "Cc"))))
def test_text_without_digits_is_unchanged_but_for_cleaning(text: str) -> None:
    assert rules.mask_numbers(text) == text


# --- categories ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "category"), [
    ("The officer asked me for a bribe before he would sign", "integrity"),
    ("They wanted extra money under the table", "integrity"),
    ("I waited three weeks and the card was delayed", "delay"),
    ("Very slow service, came back again and again", "delay"),
    ("The staff at the counter were rude and shouted at me", "staff_attitude"),
    ("The office is too far and closed at lunch", "access"),
    ("Nobody told me which documents to bring", "information"),
    ("The building needs paint", "other"),
    ("The farmer next to me was kind", "other"),  # "far" is a word, not a prefix
    ("ཕྱི་འགྱངས་ཡོདཔ་ཨིན།", "delay"),
    ("ལག་ལྐོག་ཞུ་ཡི།", "integrity"),
    ("བརྡ་དོན་མ་སྤྲོད།", "information"),
])
def test_keyword_rules_sort_complaints(text: str, category: str) -> None:
    assert rules.categorise(text) == category
    assert category in rules.CATEGORIES


def test_integrity_outranks_delay() -> None:
    assert rules.categorise("I was delayed until I paid a bribe") == "integrity"


def test_only_known_categories_may_be_set() -> None:
    assert rules.category_problem("delay") is None
    assert "use one of" in (rules.category_problem("weather") or "")


# --- from interviews -------------------------------------------------------------------------

ANSWERS = {"consent": "yes", "availed": "yes", "complaint": "yes",
           "complaint_text": "Rude staff, call 17123456", "complaint_callback": "yes"}


def test_a_complaint_is_read_masked_with_its_consent() -> None:
    given_ = rules.complaint_in(default_questionnaire(), ANSWERS)
    assert given_ == rules.GivenComplaint("Rude staff, call [phone]", True)


def test_no_complaint_when_the_answer_is_no_or_the_text_is_stale() -> None:
    q = default_questionnaire()
    assert rules.complaint_in(q, {**ANSWERS, "complaint": "no"}) is None
    # availed changed to no: the complaint items are skipped, their answers are stale
    assert rules.complaint_in(q, {**ANSWERS, "availed": "no"}) is None
    assert rules.complaint_in(q, {**ANSWERS, "complaint_text": "   "}) is None
    assert not rules.complaint_in(q, {**ANSWERS, "complaint_callback": "no"}).consent_to_follow_up


def test_the_call_back_script_yields_its_answer() -> None:
    q = rules.follow_up_questionnaire()
    answers = {"consent": "yes", "fixed": "partly", "follow_up_comment": "CID 11512003456"}
    heard = rules.follow_up_in(q, answers)
    assert heard == rules.FollowUpAnswer("partly", "CID [CID]")
    assert heard.describe() == "partly fixed: CID [CID]"
    assert rules.follow_up_in(q, {"consent": "no", "fixed": "yes"}) is None


# --- workflow --------------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "wanted"), [
    ("open", "acknowledged"), ("open", "resolved"), ("acknowledged", "resolved"),
    ("resolved", "open"),
])
def test_forward_steps_and_reopen_are_allowed(current: str, wanted: str) -> None:
    assert rules.change_problem(current, wanted, "done", category_changes=False) is None


@pytest.mark.parametrize(("current", "wanted"), [
    ("acknowledged", "open"), ("resolved", "acknowledged")])
def test_other_backward_steps_are_refused(current: str, wanted: str) -> None:
    problem = rules.change_problem(current, wanted, "oops", category_changes=False)
    assert problem and "cannot go" in problem


def test_every_change_needs_a_note_and_a_change() -> None:
    assert "note" in (rules.change_problem("open", "resolved", " ", category_changes=False)
                      or "")
    assert "already" in (rules.change_problem("open", "open", "n", category_changes=False)
                         or "")
    assert rules.change_problem("open", "open", "recategorised", category_changes=True) is None
