"""Loading questionnaire definitions: the shipped default, and every kind of definition error
reported together."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from cati_app.core.questionnaire import (
    FILL_TAGS,
    PARAMETERS,
    QuestionnaireError,
    default_questionnaire,
    load_questionnaire,
)
from cati_app.core.resources import resource


def _en(text: str) -> dict[str, str]:
    return {"en": text}


def minimal() -> dict[str, Any]:
    """A small valid definition that each test breaks in one way."""
    return {
        "id": "t",
        "version": 1,
        "title": _en("Test"),
        "languages": ["en"],
        "choice_lists": {
            "likert5": [{"name": n, "label": _en(n)} for n in ("1", "2", "3", "4", "5", "dk")],
            "colours": [{"name": "red", "label": _en("Red")}],
        },
        "items": [
            {"name": "consent", "type": "yes_no", "label": _en("OK?"), "role": "consent"},
            {"name": "colour", "type": "select_one", "choices": "colours",
             "label": _en("Colour?"), "relevant": "${consent} = 'yes'"},
            {"name": "ind", "type": "select_one", "choices": "likert5", "parameter": "integrity",
             "label": _en("Rate it")},
            {"name": "age", "type": "integer", "min": 0, "max": 120, "label": _en("Age?")},
        ],
    }


def problems_of(data: Any) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(data)
    assert isinstance(caught.value, ValueError)
    assert all(p in str(caught.value) for p in caught.value.problems)
    return caught.value.problems


def test_minimal_definition_loads() -> None:
    q = load_questionnaire(minimal())
    assert [item.name for item in q.items] == ["consent", "colour", "ind", "age"]
    assert q.item("age").max == 120
    assert q.index_of("ind") == 2
    assert q.with_role("consent") is q.item("consent")
    assert q.with_role("availed") is None
    assert [i.name for i in q.indicators()] == ["ind"]


def test_blank_relevant_means_always_asked() -> None:
    data = minimal()
    data["items"][1]["relevant"] = "  "
    assert load_questionnaire(data).item("colour").relevant is None


# --- the shipped default script --------------------------------------------------------------


def test_default_script_is_shipped_as_a_resource_and_loads() -> None:
    path = resource("questionnaires", "set_default.json")
    assert path.is_file()
    q = load_questionnaire(json.loads(path.read_text(encoding="utf-8")))
    assert (q.id, q.version) == ("set", 1)
    assert q.languages == ["en", "dz"]
    assert q.default_language == "en"
    assert q.needs_review == ["dz"]
    assert default_questionnaire() == q


def test_default_script_has_two_indicators_per_parameter() -> None:
    q = default_questionnaire()
    by_parameter = {p: [i.name for i in q.indicators() if i.parameter == p] for p in PARAMETERS}
    assert by_parameter == {
        "accessibility": ["acc_info", "acc_reach"],
        "timeliness": ["time_wait", "time_turnaround"],
        "attitude": ["att_welcome", "att_courtesy"],
        "integrity": ["int_fair", "int_payment"],
        "feedback": ["fb_channels", "fb_willing"],
    }
    for item in q.indicators():
        assert item.choices == "likert5"
        assert item.relevant == "${consent} = 'yes' and ${availed} = 'yes'"


def test_default_likert_list() -> None:
    likert = default_questionnaire().choice_lists["likert5"]
    assert [(c.name, c.label["en"]) for c in likert] == [
        ("1", "Very poor"), ("2", "Poor"), ("3", "Fair"), ("4", "Good"), ("5", "Very good"),
        ("dk", "Don't know"), ("ref", "Refused"),
    ]


def test_default_script_roles_and_order() -> None:
    q = default_questionnaire()
    roles = {role: q.with_role(role) for role in
             ("consent", "availed", "comment", "complaint", "complaint_text")}
    assert {role: (item.name, item.type) for role, item in roles.items() if item} == {
        "consent": ("consent", "yes_no"),
        "availed": ("availed", "yes_no"),
        "comment": ("comment", "text"),
        "complaint": ("complaint", "yes_no"),
        "complaint_text": ("complaint_text", "text"),
    }
    assert not q.item("comment").required
    order = [item.name for item in q.items]
    assert order[0] == "intro" and order[-1] == "closing"
    assert order.index("consent") < order.index("availed") < order.index("acc_info")
    assert order.index("fb_willing") < order.index("comment") < order.index("complaint")


def test_default_script_text_is_complete_in_both_languages() -> None:
    q = default_questionnaire()
    texts = [q.title] + [t for item in q.items for t in (item.label, item.hint) if t]
    texts += [choice.label for choices in q.choice_lists.values() for choice in choices]
    for text in texts:
        assert text["en"].strip() and text["dz"].strip()


def test_default_greeting_uses_every_fill_tag() -> None:
    intro = default_questionnaire().item("intro")
    assert intro.type == "note"
    for tag in FILL_TAGS:
        assert "{" + tag + "}" in intro.label["en"]
        assert "{" + tag + "}" in intro.label["dz"]


# --- definition errors -----------------------------------------------------------------------


def test_duplicate_item_names() -> None:
    data = minimal()
    data["items"].append(copy.deepcopy(data["items"][3]))
    assert "item name 'age' is used 2 times" in problems_of(data)


def test_condition_naming_unknown_item() -> None:
    data = minimal()
    data["items"][1]["relevant"] = "${consnet} = 'yes'"
    assert problems_of(data) == ["item 'colour': relevant: refers to unknown item 'consnet'"]


def test_unparseable_condition_reports_the_position() -> None:
    data = minimal()
    data["items"][1]["relevant"] = "${consent} = 'yes' and"
    [problem] = problems_of(data)
    assert problem.startswith("item 'colour': relevant: expected a value")
    assert "character 23" in problem


def test_condition_on_a_later_item_or_itself() -> None:
    data = minimal()
    data["items"][1]["relevant"] = "${age} > 3 or ${colour} = 'red'"
    assert problems_of(data) == [
        "item 'colour': relevant: refers to 'age', which comes later in the script",
        "item 'colour': relevant: refers to the item itself",
    ]


def test_missing_choice_list() -> None:
    data = minimal()
    data["items"][1]["choices"] = "colors"
    assert problems_of(data) == ["item 'colour': choice list 'colors' does not exist"]


def test_select_one_without_choices() -> None:
    data = minimal()
    del data["items"][1]["choices"]
    assert problems_of(data) == ["item 'colour': select_one needs a choice list (choices)"]


def test_unknown_parameter() -> None:
    data = minimal()
    data["items"][2]["parameter"] = "honesty"
    [problem] = problems_of(data)
    assert problem.startswith("item 'ind': unknown parameter 'honesty'")
    assert "accessibility" in problem


def test_indicator_must_use_the_likert_choice_names() -> None:
    data = minimal()
    data["items"][2]["choices"] = "colours"
    [problem] = problems_of(data)
    assert "an indicator's choices must be 1, 2, 3, 4, 5" in problem


def test_label_missing_the_default_language() -> None:
    data = minimal()
    data["items"][3]["label"] = {"dz": "..."}
    data["languages"] = ["en", "dz"]
    assert problems_of(data) == [
        "item 'age': label has no text in the default language 'en'"
    ]


def test_choice_label_missing_the_default_language() -> None:
    data = minimal()
    data["choice_lists"]["colours"][0]["label"] = {"en": " "}
    assert problems_of(data) == [
        "choice list 'colours': choice 'red' has no text in the default language 'en'"
    ]


def test_unknown_fill_tag_is_a_problem() -> None:
    data = minimal()
    data["items"][0]["label"] = _en("Hello {respondant}")
    [problem] = problems_of(data)
    assert "unknown fill tag {respondant}" in problem


def test_role_with_the_wrong_type_or_unknown() -> None:
    data = minimal()
    data["items"][3]["role"] = "consent"
    data["items"][1]["role"] = "favourite"
    assert problems_of(data) == [
        "item 'colour': unknown role 'favourite' (known: consent, availed, comment, complaint, "
        "complaint_text, complaint_callback, follow_up_fixed, follow_up_comment)",
        "item 'age': role 'consent' needs type yes_no, not integer",
        "role 'consent' is given to 2 items",
    ]


def test_language_settings_are_checked() -> None:
    data = minimal()
    data["default_language"] = "dz"
    data["needs_review"] = ["fr"]
    problems = problems_of(data)
    assert "default language 'dz' is not in languages" in problems
    assert "needs_review names 'fr', which is not in languages" in problems


def test_min_above_max() -> None:
    data = minimal()
    data["items"][3]["min"] = 200
    assert problems_of(data) == ["item 'age': min 200 is greater than max 120"]


def test_shape_errors_name_the_item_and_field() -> None:
    data = minimal()
    data["items"][3]["type"] = "date"
    data["items"][2]["relevnt"] = "${consent} = 'yes'"  # a typo must not drop skip logic
    problems = problems_of(data)
    assert any(p.startswith("item 'age': type: Input should be") for p in problems)
    assert any(p.startswith("item 'ind': relevnt: Extra inputs") for p in problems)


def test_not_an_object() -> None:
    assert problems_of([1, 2]) == ["a questionnaire must be a JSON object"]


def test_several_problems_reported_at_once() -> None:
    data = minimal()
    data["items"].append({"name": "consent", "type": "text", "label": _en("again")})
    data["items"][1]["relevant"] = "${nope} = 1"
    data["items"][1]["choices"] = "missing"
    data["items"][2]["parameter"] = "speed"
    data["items"][3]["label"] = {}
    problems = problems_of(data)
    assert len(problems) == 5
    assert "item name 'consent' is used 2 times" in problems


def test_semantic_problems_are_still_found_when_the_shape_is_wrong() -> None:
    data = minimal()
    data["version"] = 0
    data["items"][1]["relevant"] = "${nope} = 1"
    problems = problems_of(data)
    assert any(p.startswith("version:") for p in problems)
    assert "item 'colour': relevant: refers to unknown item 'nope'" in problems
