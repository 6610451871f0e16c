"""XLSForm rows → questionnaire definition (core, no workbook file): every supported feature,
every broken case with its sheet, row and column, and the model's new types and constraints
(select_multiple, decimal, ``.`` in constraints)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from cati_app.core.questionnaire import (
    ExpressionError,
    QuestionnaireError,
    answer_problems,
    check_answer,
    constraint_problem,
    default_questionnaire,
    load_questionnaire,
    parse,
)
from cati_app.core.questionnaire.xlsform import (
    Sheet,
    XLSFormError,
    XLSFormProblem,
    column_letter,
    convert,
    language_code,
)

ROOT = Path(__file__).resolve().parents[2]
HEAD = ["type", "name", "label::English", "label::Dzongkha (dz)", "hint::English", "relevant",
        "required", "constraint", "constraint_message::English", "appearance", "parameter",
        "role"]
FULL = [
    ["note", "intro", "Hello {respondent}", "ཀུ་ཟུ་ཟང་པོ་ལ།"],
    ["select_one yn", "consent", "Willing?", None, None, None, "yes", None, None, "minimal",
     None, "consent"],
    ["begin_group", "rated", "Ratings", None, None, "${consent} = 'yes'", None, None, None,
     "field-list"],
    ["integer", "age", "Age?", None, "in years", None, True, ". >= 15 and . <= 120",
     "Between 15 and 120"],
    ["decimal", "km", "Distance?", None, None, "${age} > 18", None, ". >= 0"],
    ["select_multiple ways", "ways", "Ways?", "ལམ།", None, None, None, "count-selected(.) <= 2"],
    ["select_one likert", "q1", "Rate it", None, None, "selected(${ways}, 'phone')", 1, None,
     None, None, "Accessibility"],
    ["text", "comment", "Comment?", None, None, None, None, None, None, None, None, "comment"],
    ["end group"],
]
CHOICES = [["list_name", "name", "label::English", "label::Dzongkha"],
           ["yn", "yes", "Yes", "ཨིན།"], ["yn", "no", "No", None],
           ["ways", "phone", "Phone", None], ["ways", "radio", "Radio", None],
           ["ways", "web", "Web", None],
           *[["likert", str(i), f"Point {i}", None] for i in range(1, 6)],
           ["likert", "dk", "Don't know", None]]
SETTINGS = [["form_id", "version", "default_language", "form_title", "needs_review"],
            ["trial", 3, "English", "A trial", None]]


def sheets(survey: list[list[Any]], choices: list[list[Any]] | None = CHOICES,
           settings: list[list[Any]] | None = SETTINGS, head: list[str] = HEAD
           ) -> dict[str, Sheet]:
    found = {"survey": Sheet.from_values("survey", [head, *survey])}
    if choices is not None:
        found["choices"] = Sheet.from_values("choices", choices)
    if settings is not None:
        found["settings"] = Sheet.from_values("settings", settings)
    return found


def run(**parts: Any) -> tuple[dict[str, Any], list[XLSFormProblem]]:
    return convert(sheets(**parts), default_id="set", next_version=lambda _qid: 7)


def problems(**parts: Any) -> list[tuple[str, int | None, str | None, str]]:
    with pytest.raises(XLSFormError) as raised:
        run(**parts)
    return [(p.sheet, p.row, p.column, p.message) for p in raised.value.problems]


# --- every supported feature ----------------------------------------------------------------


def test_a_form_using_every_feature_converts_and_loads() -> None:
    definition, notes = run(survey=FULL)
    q = load_questionnaire(definition)
    assert (q.id, q.version, q.title, q.languages, q.needs_review) == (
        "trial", 3, {"en": "A trial"}, ["en", "dz"], [])
    assert [(i.name, i.type) for i in q.items] == [
        ("intro", "note"), ("consent", "yes_no"), ("age", "integer"), ("km", "decimal"),
        ("ways", "select_multiple"), ("q1", "select_one"), ("comment", "text")]
    assert q.item("intro").label == {"en": "Hello {respondent}", "dz": "ཀུ་ཟུ་ཟང་པོ་ལ།"}
    assert q.item("consent").required and q.item("consent").role == "consent"
    age = q.item("age")
    assert (age.hint, age.required, age.relevant) == ({"en": "in years"}, True,
                                                      "${consent} = 'yes'")
    assert (age.constraint, age.constraint_message) == (". >= 15 and . <= 120",
                                                        {"en": "Between 15 and 120"})
    # a group's condition is joined onto each item's own with "and"
    assert q.item("km").relevant == "(${consent} = 'yes') and (${age} > 18)"
    assert q.item("q1").parameter == "accessibility" and q.item("q1").choices == "likert"
    assert q.item("ways").label == {"en": "Ways?", "dz": "ལམ།"}
    assert set(q.choice_lists) == {"ways", "likert", "yn"}  # yn kept for yes_no labels
    assert [str(n) for n in notes] == [
        "survey sheet, column J (appearance): column 'appearance' is ignored (rows 3, 4)"]


def test_without_settings_the_id_and_version_come_from_the_caller() -> None:
    definition, _ = run(survey=FULL, settings=None)
    assert (definition["id"], definition["version"]) == ("set", 7)
    assert definition["title"] == {"en": "set"}
    assert definition["needs_review"] == ["dz"]  # unconfirmed until a translator says so


def test_languages_map_to_codes_and_unknown_ones_keep_a_slug() -> None:
    assert [language_code(n) for n in ("English", "dzongkha", "Nepali", "Lhotshamkha (lsh)",
                                       "Sharchop Kha")] == [
        "en", "dz", "nepali", "lsh", "sharchop_kha"]
    assert [column_letter(i) for i in (0, 11, 25, 26, 701)] == ["A", "L", "Z", "AA", "ZZ"]


def test_the_shipped_workbook_is_the_default_script() -> None:
    from cati_app.core.questionnaire.xlsform import Sheet as S

    book = load_workbook(ROOT / "resources" / "questionnaires" / "set_default.xlsx",
                         read_only=True)
    found = {ws.title: S.from_values(ws.title, list(ws.iter_rows(values_only=True)))
             for ws in book.worksheets}
    book.close()
    definition, notes = convert(found, default_id="x", next_version=lambda _qid: 1)
    assert notes == []
    assert load_questionnaire(definition) == default_questionnaire()


# --- broken workbooks: every problem at once, with sheet, row and column --------------------


def test_unknown_type_and_repeat_are_refused_where_they_are() -> None:
    found = problems(survey=[["calculate", "c", "C"], ["begin repeat", "r", "R"],
                             ["text", "t", "T"], ["end_repeat"]])
    assert [(s, r, c) for s, r, c, _m in found] == [("survey", 2, "A"), ("survey", 3, "A"),
                                                    ("survey", 5, "A")]
    assert "type 'calculate' is not supported (supported: note, select_one" in found[0][3]
    assert found[1][3].startswith("repeats are not supported")


def test_a_missing_label_column_is_reported_on_the_heading_row() -> None:
    found = problems(survey=[["text", "t"]], head=["type", "name", "hint::English"])
    assert found[0][:2] == ("survey", 1)
    assert "label::English" in found[0][3]


def test_condition_syntax_errors_point_at_their_cell() -> None:
    found = problems(survey=[["integer", "a", "A"], ["text", "b", "B", None, None, "${a} >"],
                             ["integer", "c", "C", None, None, None, None, ". >> 2"]])
    assert [(r, c) for _s, r, c, _m in found] == [(3, "F"), (4, "H")]
    assert "expected a value but found the end of the condition" in found[0][3]


def test_references_must_be_earlier_questions() -> None:
    found = problems(survey=[["text", "a", "A", None, None, "${b} = 'x'"], ["text", "b", "B"],
                             ["text", "c", "C", None, None, "${nope} = 1"],
                             ["note", "n", "N"], ["text", "d", "D", None, None, "${n} = 1"],
                             ["integer", "e", "E", None, None, ". > 1"]])
    assert [(r, c, m) for _s, r, c, m in found] == [
        (2, "F", "refers to 'b', which comes later in the form"),
        (4, "F", "${nope} is not a question in this form"),
        (6, "F", "refers to 'n', a note, which has no answer"),
        (7, "F", "'.' (the question's own answer) can only be used in a constraint")]


def test_a_choice_list_that_does_not_exist() -> None:
    found = problems(survey=[["select_one colours", "c", "Colour?"]])
    assert found == [("survey", 2, "A", "choice list 'colours' does not exist on the choices "
                                        "sheet")]


def test_duplicate_names_in_survey_and_choices() -> None:
    choices = [*CHOICES, ["ways", "web", "Web again", None]]
    found = problems(survey=[["text", "a", "A"], ["integer", "a", "A2"],
                             ["select_multiple ways", "w", "W"]], choices=choices)
    assert [(s, r, c) for s, r, c, _m in found] == [("survey", 3, "B"), ("choices", 13, "B")]
    assert found[0][3] == "name 'a' is used already (row 2)"
    assert "appears twice in list 'ways' (first in row 6)" in found[1][3]


def test_choice_filter_other_features_and_bad_values_are_problems() -> None:
    head = [*HEAD, "choice_filter", "calculation", "comments"]
    survey = [["text", "a", "A", None, None, None, "maybe", None, None, None, "speed", "boss",
               "x = 1", "1 + 1", "author's note"],
              ["note", "b", None]]
    found = problems(survey=survey, head=head)
    assert [(r, c) for _s, r, c, _m in found] == [
        (2, "G"), (2, "K"), (2, "L"), (2, "M"), (2, "N"), (3, "C")]
    assert "required must be yes or no, not 'maybe'" in found[0][3]
    assert "unknown parameter 'speed'" in found[1][3]
    assert found[3][3] == "choice_filter is not supported: remove it"
    assert found[5][3] == "no label in the default language 'en'"


def test_settings_problems_and_roles_of_the_wrong_type() -> None:
    settings = [["form_id", "version"], ["has space", "v2"]]
    found = problems(survey=[["text", "consent", "C", None, None, None, None, None, None, None,
                              None, "consent"]], settings=settings)
    assert ("survey", 2, "L", "item 'consent': role 'consent' needs type yes_no, not text"
            ) in found
    assert [(s, r, c) for s, r, c, _m in found if s == "settings"] == [
        ("settings", 2, "A"), ("settings", 2, "B")]


def test_groups_must_be_closed_and_opened() -> None:
    found = problems(survey=[["begin group", "g", "G"], ["text", "a", "A"], ["end group"],
                             ["end group"], ["begin group", "h", "H"]])
    assert [(r, m) for _s, r, _c, m in found] == [
        (5, "end group without a begin group above it"), (6, "group 'h' has no end group")]


# --- the model: select_multiple, decimal and constraints ------------------------------------


@pytest.fixture
def trial() -> Any:
    return load_questionnaire(run(survey=FULL)[0])


def test_select_multiple_answers_are_names_separated_by_spaces(trial: Any) -> None:
    base = {"consent": "yes", "age": 30}
    assert answer_problems(trial, {**base, "ways": "phone web"}) == ["q1: required but not "
                                                                     "answered"]
    assert answer_problems(trial, {**base, "ways": "phone fax", "q1": "2"}) == [
        "ways: 'fax' not in choice list 'ways' (phone, radio, web)"]
    assert answer_problems(trial, {**base, "ways": "web web"}) == [
        "ways: 'web web' names a choice more than once"]
    # the constraint count-selected(.) <= 2, with no message: the condition is shown
    assert answer_problems(trial, {**base, "ways": "phone radio web", "q1": "3"}) == [
        "ways: the answer does not meet the condition count-selected(.) <= 2"]


def test_decimal_answers_and_constraint_messages(trial: Any) -> None:
    base = {"consent": "yes", "ways": "radio"}
    assert answer_problems(trial, {**base, "age": 40, "km": 2.5}) == []
    assert answer_problems(trial, {**base, "age": 40, "km": "far"}) == [
        "km: 'far' is not a number"]
    assert answer_problems(trial, {**base, "age": 12}) == ["age: Between 15 and 120"]
    assert constraint_problem(trial, trial.item("age"), 121, {}, "dz") == "Between 15 and 120"
    assert constraint_problem(trial, trial.item("age"), 50, {}) is None
    # a skipped item's stale answer is not held against the constraint
    assert answer_problems(trial, {"consent": "no", "age": 3}) == []


def test_dot_is_the_items_own_value_in_expressions() -> None:
    assert parse(". > 2 and .5 < .").uses_self
    assert not parse("${a} > .5").uses_self
    assert check_answer(". >= ${low}", 5, {"low": 3})
    assert not check_answer(". >= ${low}", 2, {"low": 3})
    assert check_answer("selected(., 'b')", "a b", {})
    with pytest.raises(ExpressionError, match="unexpected '.'"):
        parse(". .")


def test_loading_checks_decimal_bounds_and_constraints() -> None:
    definition = run(survey=FULL)[0]
    items = definition["items"]
    items[3] = {**items[3], "min": 0.5, "max": 10}  # decimal km: fractional bounds are fine
    items[2] = {**items[2], "min": 1.5}  # integer age: not a whole number
    items[6] = {**items[6], "constraint": "${comment} != 'x'", "constraint_message": {}}
    items[0] = {**items[0], "constraint": ". = 1"}
    with pytest.raises(QuestionnaireError) as raised:
        load_questionnaire(definition)
    assert sorted(raised.value.problems) == sorted([
        "item 'age': min/max of an integer must be whole numbers",
        "item 'comment': constraint: write '.' for the item's own value, not ${comment}",
        "item 'intro': constraint: a note takes no answer, so it cannot have a constraint"])


def test_a_survey_without_questions_says_so() -> None:
    assert problems(survey=[]) == [("survey", None, None, "the survey sheet has no questions")]
    with pytest.raises(XLSFormError, match="no sheet named 'survey'"):
        convert({}, default_id="set", next_version=lambda _qid: 1)
