"""The remembered skip logic (navigation.SkipLogic) always agrees with walking every condition
item by item, whatever the answers: typed look-alikes (1, 1.0, True, "1"), blanks, lists,
unknown names, and chains of conditions that read answers of items that may be skipped."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cati_app.core.questionnaire import (
    Questionnaire,
    answer_problems,
    completion,
    default_questionnaire,
    load_questionnaire,
)
from cati_app.core.questionnaire.navigation import SkipLogic, walk_item_by_item

SET = default_questionnaire()
#: conditions that read numbers, other conditions' items, and items that may be skipped
CHAINED = load_questionnaire({
    "id": "chain", "version": 1, "title": {"en": "Chain"}, "languages": ["en"],
    "choice_lists": {"ab": [{"name": "a", "label": {"en": "A"}},
                            {"name": "b", "label": {"en": "B"}}]},
    "items": [
        {"name": "go", "type": "yes_no", "label": {"en": "Go?"}},
        {"name": "age", "type": "integer", "label": {"en": "Age?"},
         "relevant": "${go} = 'yes'"},
        {"name": "pick", "type": "select_multiple", "choices": "ab", "label": {"en": "Pick"},
         "relevant": "${age} >= 18"},
        {"name": "why", "type": "text", "label": {"en": "Why?"},
         "relevant": "selected(${pick}, 'b') or ${age} = 1"},
        {"name": "more", "type": "text", "label": {"en": "More"},
         "relevant": "string-length(${why}) > 3 and not(${go} = 'no')"},
    ]})

values = st.one_of(
    st.none(), st.just(""), st.just("  "), st.sampled_from(["yes", "no", "a", "b", "a b",
                                                            "1", "4", "dk", "ref", "x"]),
    st.integers(-2, 40), st.sampled_from([1.0, 18.0, 0.5]), st.booleans(),
    st.lists(st.sampled_from(["a", "b"]), max_size=2), st.text(max_size=6))


def answer_sets(q: Questionnaire) -> st.SearchStrategy[dict[str, Any]]:
    names = [item.name for item in q.items] + ["not_an_item"]
    return st.dictionaries(st.sampled_from(names), values, max_size=len(names))


def _agrees(q: Questionnaire, remembered: SkipLogic, answers: dict[str, Any]) -> None:
    assert remembered.walk(answers) == walk_item_by_item(q, answers)


@settings(max_examples=400, deadline=None)
@given(batch=st.lists(answer_sets(SET), min_size=1, max_size=5))
def test_the_set_script_remembered_equals_walked(batch: list[dict[str, Any]]) -> None:
    remembered = SkipLogic(SET)  # one memory across the batch, as on the server
    for answers in batch + batch:
        _agrees(SET, remembered, answers)


@settings(max_examples=400, deadline=None)
@given(batch=st.lists(answer_sets(CHAINED), min_size=1, max_size=5))
def test_chained_conditions_remembered_equals_walked(batch: list[dict[str, Any]]) -> None:
    remembered = SkipLogic(CHAINED)
    for answers in batch + batch:
        _agrees(CHAINED, remembered, answers)


@given(answers=answer_sets(SET))
def test_scoring_reads_the_remembered_walk(answers: dict[str, Any]) -> None:
    """completion and answer_problems on a fresh copy (walked) and on the shared one
    (remembered across examples) agree."""
    fresh = default_questionnaire()
    assert completion(SET, answers) == completion(fresh, answers)
    assert answer_problems(SET, answers) == answer_problems(fresh, answers)


def test_look_alike_values_are_told_apart() -> None:
    """1, 1.0, True and "1" are one dict key in Python but not one answer to a condition."""
    remembered = SkipLogic(CHAINED)
    for age in (1, 1.0, True, "1", 18, 18.0):
        answers = {"go": "yes", "age": age, "pick": "a"}
        _agrees(CHAINED, remembered, answers)
    assert "why" in [i.name for i in remembered.walk({"go": "yes", "age": 1})[0]]
