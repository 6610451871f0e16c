"""The inbound helpers of core.safe_text: finding a NUL, keeping a refused item storable, and
measuring nesting without recursion (issue 11)."""

from __future__ import annotations

from typing import Any

from cati_app.core.safe_text import NUL_MARK, has_nul, nesting_depth, storable


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
