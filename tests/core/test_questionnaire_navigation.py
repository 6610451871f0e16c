"""Skip logic through the default SET script, stale answers, and answer problems."""

from __future__ import annotations

import pytest

from cati_app.core.questionnaire import (
    answer_problems,
    default_questionnaire,
    effective_answers,
    next_item,
    previous_item,
    progress,
    visible_items,
)

INDICATORS = ["acc_info", "acc_reach", "time_wait", "time_turnaround", "att_welcome",
              "att_courtesy", "int_fair", "int_payment", "fb_channels", "fb_willing"]
USER = {"consent": "yes", "availed": "yes"}


@pytest.fixture
def q():
    return default_questionnaire()


def names(items) -> list[str]:
    return [item.name for item in items]


def test_before_consent_only_the_greeting_and_consent_are_shown(q) -> None:
    assert names(visible_items(q, {})) == ["intro", "consent"]


def test_consent_no_leaves_nothing_else_to_ask(q) -> None:
    visible = visible_items(q, {"consent": "no"})
    assert names(visible) == ["intro", "consent", "close_refusal"]
    assert next_item(q, {"consent": "no"}, "consent").name == "close_refusal"
    assert next_item(q, {"consent": "no"}, "close_refusal") is None


def test_availed_no_skips_the_indicators(q) -> None:
    answers = {"consent": "yes", "availed": "no"}
    assert names(visible_items(q, answers)) == [
        "intro", "consent", "availed", "close_not_user"
    ]
    assert next_item(q, answers, "close_not_user") is None


def test_service_user_walks_the_whole_script(q) -> None:
    order = names(visible_items(q, USER))
    assert order == ["intro", "consent", "availed", "rating_intro", *INDICATORS, "comment",
                     "complaint", "closing"]


def test_complaint_text_only_when_lodging_a_complaint(q) -> None:
    with_complaint = names(visible_items(q, {**USER, "complaint": "yes"}))
    assert with_complaint.index("complaint_text") == with_complaint.index("complaint") + 1
    assert "complaint_text" not in names(visible_items(q, {**USER, "complaint": "no"}))
    # may we call back to check it was resolved (issue 16): asked right after the complaint
    assert with_complaint.index("complaint_callback") == with_complaint.index("complaint") + 2
    assert "complaint_callback" not in names(visible_items(q, {**USER, "complaint": "no"}))


def test_next_item_skips_irrelevant_items(q) -> None:
    assert next_item(q, {}, None).name == "intro"
    assert next_item(q, USER, "consent").name == "availed"
    # close_not_user sits between availed and rating_intro and is skipped for a user
    assert next_item(q, USER, "availed").name == "rating_intro"
    assert next_item(q, USER, "fb_willing").name == "comment"
    assert next_item(q, USER, "closing") is None


def test_previous_item_skips_irrelevant_items(q) -> None:
    assert previous_item(q, USER, "rating_intro").name == "availed"
    assert previous_item(q, USER, "comment").name == "fb_willing"
    assert previous_item(q, USER, "intro") is None
    assert previous_item(q, USER, None) is None
    assert previous_item(q, {"consent": "no"}, "close_refusal").name == "consent"


def test_unknown_current_item_is_an_error(q) -> None:
    with pytest.raises(KeyError):
        next_item(q, {}, "no_such_item")


def test_progress_counts_relevant_items(q) -> None:
    assert progress(q, {}, None) == (0, 2)
    assert progress(q, {}, "consent") == (2, 2)
    total = len(visible_items(q, USER))
    assert total == 17
    assert progress(q, USER, "rating_intro") == (4, total)
    # complaint_text and the call-back consent (complaint_callback) join
    assert progress(q, {**USER, "complaint": "yes"}, "closing") == (19, 19)


def test_progress_of_an_item_that_just_became_irrelevant(q) -> None:
    # the enumerator is on acc_reach and goes back to change availed to "no"
    assert progress(q, {"consent": "yes", "availed": "no"}, "acc_reach") == (4, 4)


def test_changed_answer_makes_later_answers_stale(q) -> None:
    answers = {**USER, "acc_info": "4", "complaint": "yes", "complaint_text": "rude"}
    assert effective_answers(q, answers) == answers
    answers["consent"] = "no"
    assert effective_answers(q, answers) == {"consent": "no"}


def test_stale_answer_cannot_open_a_later_branch(q) -> None:
    # complaint was answered yes, then availed changed to no: complaint is now irrelevant,
    # so its stale "yes" must not make complaint_text relevant
    answers = {"consent": "yes", "availed": "no", "complaint": "yes", "complaint_text": "x"}
    assert "complaint_text" not in names(visible_items(q, answers))
    assert effective_answers(q, answers) == {"consent": "yes", "availed": "no"}


def test_effective_answers_drop_blanks_and_unknown_names(q) -> None:
    assert effective_answers(q, {**USER, "comment": "  ", "bogus": "1", "acc_info": None}) == USER


def test_answer_problems_of_a_clean_interview(q) -> None:
    answers = {**USER, **{name: "3" for name in INDICATORS}, "complaint": "no"}
    assert answer_problems(q, answers) == []


def test_answer_problems_flag_values_names_and_missing_required(q) -> None:
    answers = {**USER, **{name: "3" for name in INDICATORS}}
    answers.update(acc_info="7", availed="maybe", comment=12, intro="hello", extra="x")
    problems = answer_problems(q, answers)
    assert problems == [
        "intro: is a note and takes no answer",
        "availed: 'maybe' is not 'yes' or 'no'",
        "acc_info: '7' is not in choice list 'likert5' (1, 2, 3, 4, 5, dk, ref)",
        "comment: 12 is not text",
        "extra: not an item of set version 1",
    ]


def test_required_is_checked_only_for_relevant_items(q) -> None:
    problems = answer_problems(q, {**USER, "complaint": "yes"})
    assert "complaint_text: required but not answered" in problems
    assert "acc_info: required but not answered" in problems
    assert "comment: required but not answered" not in problems  # comment is optional
    assert answer_problems(q, {"consent": "no"}) == []


def test_integer_answers_are_range_checked() -> None:
    from cati_app.core.questionnaire import load_questionnaire

    q = load_questionnaire({
        "id": "n", "version": 1, "title": {"en": "N"}, "languages": ["en"],
        "items": [{"name": "age", "type": "integer", "min": 15, "max": 99,
                   "label": {"en": "Age?"}}],
    })
    assert answer_problems(q, {"age": 40}) == []
    assert answer_problems(q, {"age": 12}) == ["age: 12 is below the minimum 15"]
    assert answer_problems(q, {"age": 100}) == ["age: 100 is above the maximum 99"]
    assert answer_problems(q, {"age": "40"}) == ["age: '40' is not a whole number"]
    assert answer_problems(q, {"age": True}) == ["age: True is not a whole number"]
