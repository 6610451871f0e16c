"""The shared text rules: illegal characters and formula prefixes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cati_app.core.safe_text import (
    clean_nested,
    clean_text,
    has_illegal_chars,
    neutralise_formula,
)


def test_vertical_tab_and_form_feed_become_line_breaks() -> None:
    assert clean_text("first\x0bsecond\x0cthird") == "first\nsecond\nthird"


def test_nul_and_other_controls_are_dropped_but_tab_newline_kept() -> None:
    assert clean_text("a\x00b\x01c\td\ne\rf\x1f") == "abc\td\ne\rf"
    assert has_illegal_chars("a\x00b")
    assert not has_illegal_chars("tab\tnewline\n\x0b")


@given(st.text())
def test_cleaned_text_has_nothing_illegal_and_is_stable(text: str) -> None:
    cleaned = clean_text(text)
    assert not has_illegal_chars(cleaned)
    assert clean_text(cleaned) == cleaned


def test_clean_nested_reaches_keys_and_lists() -> None:
    assert clean_nested({"k\x00": ["v\x0b", 3, None]}) == {"k": ["v\n", 3, None]}


def test_formula_prefixes_get_an_apostrophe() -> None:
    for text in ("=1+1", "+1", "-2", "@SUM(A1)", "\t=x", "\r=x"):
        assert neutralise_formula(text) == "'" + text
    assert neutralise_formula("fine = good") == "fine = good"
    assert neutralise_formula("") == ""
