"""The safe condition language: precedence, functions, XLSForm comparison semantics, errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cati_app.core.questionnaire.expressions import (
    MAX_DEPTH,
    Expression,
    ExpressionError,
    evaluate,
    parse,
)

ANSWERS = {"consent": "yes", "availed": "no", "q3": "2", "q4": "", "age": 42, "multi": "a c"}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("${consent} = 'yes'", True),
        ('${consent} = "yes"', True),
        ("${consent} != 'yes'", False),
        ("${consent} = 'yes' and ${availed} = 'yes'", False),
        ("${consent} = 'yes' or ${availed} = 'yes'", True),
        # and binds tighter than or
        ("true() or false() and false()", True),
        ("(true() or false()) and false()", False),
        ("false() and false() or true()", True),
        ("not(${availed} = 'yes')", True),
        ("not(${consent} = 'yes') or ${q3} = '2'", True),
        ("not(not(true()))", True),
        ("selected(${consent}, 'yes')", True),
        ("selected(${multi}, 'c')", True),
        ("selected(${multi}, 'b')", False),
        ("count-selected(${multi}) = 2", True),
        ("string-length(${consent}) = 3", True),
        ("string-length(${q4}) = 0", True),
    ],
)
def test_logic_and_functions(expression: str, expected: bool) -> None:
    assert evaluate(expression, ANSWERS) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("${q3} <= 2", True),  # '2' looks numeric: compared as a number
        ("${q3} < 2", False),
        ("${q3} = 2", True),
        ("${q3} = '2.0'", True),  # both numeric: 2 == 2.0
        ("${age} > 40", True),  # int answers
        ("${age} >= 42.5", False),
        ("${age} = '42'", True),
        ("${q3} > '10'", False),  # numbers, not text: '2' > '10' would be true as text
        ("${consent} > 'a'", False),  # relational needs numbers; text is never ordered
        ("${q3} != 'two'", True),  # one side not numeric: compared as text
        ("-1 < 0", True),
    ],
)
def test_numeric_comparison_when_both_sides_look_numeric(expression: str, expected: bool) -> None:
    assert evaluate(expression, ANSWERS) is expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("${missing} = ''", True),
        ("${q4} = ''", True),  # answered blank counts as unanswered too
        ("${missing} != ''", False),
        ("${missing} = 'yes'", False),
        ("${missing} <= 2", False),  # '' is not a number
        ("${missing}", False),  # a bare reference means "answered"
        ("${consent}", True),
        ("not(${missing})", True),
        ("count-selected(${missing}) = 0", True),
    ],
)
def test_unanswered_is_empty_text(expression: str, expected: bool) -> None:
    assert evaluate(expression, ANSWERS) is expected


def test_none_answer_is_unanswered() -> None:
    assert evaluate("${x} = ''", {"x": None}) is True


def test_references_are_collected_for_validation() -> None:
    parsed = parse("${a} = 'x' and (selected(${b}, 'y') or not(${c} != ${a}))")
    assert parsed.references == frozenset({"a", "b", "c"})
    assert parse("true()").references == frozenset()


def test_parse_is_cached_and_evaluate_takes_either_form() -> None:
    parsed = parse("${a} = 1")
    assert parse("${a} = 1") is parsed
    assert isinstance(parsed, Expression)
    assert evaluate(parsed, {"a": 1}) is True
    assert parsed.evaluate({"a": 2}) is False


@pytest.mark.parametrize(
    ("expression", "position", "words"),
    [
        ("${a} = ", 7, "expected a value"),
        ("${a", 0, "unterminated reference"),
        ("${a} = 'yes", 7, "unterminated text"),
        ("${a} = 'x' and", 14, "expected a value"),
        ("not(${a}", 8, "expected ')'"),
        ("${a} == 1", 6, "single '='"),
        ("${a} = 1 = 2", 9, "cannot be chained"),
        ("a = 'x'", 0, "write ${a}"),
        ("not ${a}", 4, "needs parentheses"),
        ("selected(${a})", 0, "takes 2 argument"),
        ("foo(${a})", 0, "unknown function 'foo'"),
        ("${1a} = 1", 0, "not a valid item reference"),
        ("${a} = 1 ${b}", 9, "unexpected"),
        ("${a} # 1", 5, "unexpected character '#'"),
        ("", 0, "empty condition"),
    ],
)
def test_syntax_errors_say_what_and_where(expression: str, position: int, words: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(expression)
    assert caught.value.position == position
    assert words in str(caught.value)
    assert f"character {position + 1}" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "__import__('os').system('echo hacked')",
        "open('/etc/passwd')",
        "${a}.__class__",
        "[x for x in ()]",
        "1 + 1",
        "lambda: 1",
    ],
)
def test_python_is_never_evaluated(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse(text)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ExpressionError, match="nested more than"):
        parse("(" * (MAX_DEPTH + 1) + "true()" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(ExpressionError, match="nested more than"):
        parse("not(" * 300 + "true()" + ")" * 300)
    assert parse("(" * 10 + "true()" + ")" * 10).evaluate({}) is True


def test_overlong_condition_is_refused() -> None:
    with pytest.raises(ExpressionError, match="longer than"):
        parse("true() or " * 500 + "true()")


GRAMMAR_BITS = st.sampled_from(
    ["${a}", "${b}", "'x'", '"y"', "1", "2.5", "-3", "=", "!=", "<", "<=", ">", ">=", "and",
     "or", "not(", "selected(", "count-selected(", "string-length(", "true()", "(", ")", ",",
     " ", "$", "{", "}", "'", "__import__", "."]
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_random_text_only_ever_raises_expression_error(text: str) -> None:
    _parse_and_evaluate(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(GRAMMAR_BITS, max_size=25).map("".join))
def test_grammar_soup_only_ever_raises_expression_error(text: str) -> None:
    _parse_and_evaluate(text)


def _parse_and_evaluate(text: str) -> None:
    try:
        parsed = parse(text)
    except ExpressionError as error:
        assert 0 <= error.position <= len(text)
        return
    # whatever parses evaluates to a bool for any answers, without raising
    for answers in ({}, {"a": "x", "b": 3}, {"a": None, "b": "1 2"}):
        assert parsed.evaluate(answers) in (True, False)
