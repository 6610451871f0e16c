"""The inbound helpers of core.safe_text: finding a NUL, keeping a refused item storable, and
measuring nesting without recursion (issue 11)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cati_app.core.safe_text import (
    NUL_MARK,
    clean_nested,
    has_nul,
    needs_cleaning,
    nesting_depth,
    storable,
)


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def test_has_nul_looks_in_keys_values_and_lists():
    assert not has_nul({"a": ["b", {"c": 1}], "d": None})
    assert has_nul({"a": ["b", {"c": "x\x00"}]})
    assert has_nul({"k\x00": 1})
    assert has_nul(_nested(5000) + ["\x00"])  # no recursion: deep input is fine


def test_storable_shows_a_nul_and_cleans_the_rest():
    kept = storable({"note\x00": ["a\x00b", "line\x0bbreak\x01", 3]})
    assert kept == {f"note{NUL_MARK}": [f"a{NUL_MARK}b", "line\nbreak", 3]}


def test_nesting_depth_counts_levels_and_stops_early():
    assert nesting_depth("x", 3) == 0
    assert nesting_depth({"a": 1}, 3) == 1
    assert nesting_depth({"a": [[1]]}, 3) == 3
    assert nesting_depth(_nested(50_000), 16) == 17  # gives up past the bound


#: text that is mostly clean, sometimes with a control character, a surrogate or U+FFFE
_TEXT = st.text(st.one_of(st.characters(max_codepoint=0x7F),
                          st.sampled_from("\x00\x0b\x0c\x1f\ud800\ufffe\n\r\t\u0f40")))
_PAYLOADS = st.recursive(st.one_of(st.none(), st.integers(), _TEXT),
                         lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                 st.dictionaries(_TEXT, inner, max_size=4)),
                         max_leaves=20)


@given(_PAYLOADS)
def test_needs_cleaning_is_true_exactly_when_cleaning_changes_something(payload):
    # the push's fast path (wire.Lenient) skips cleaning when this says there is nothing to do
    assert needs_cleaning(payload) == (clean_nested(payload) != payload or has_nul(payload))


def test_needs_cleaning_looks_in_keys_and_deep_structures():
    assert not needs_cleaning({"a": ["line\nbreak", {"c": 1}], "d": None})
    assert needs_cleaning({"k\x0b": "v"})
    assert needs_cleaning({"a": {"b": "x\x00"}})
    assert needs_cleaning(_nested(5000) + ["\x1f"])  # no recursion: deep input is fine
