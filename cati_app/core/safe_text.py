"""Text that is safe to store and to write into a workbook or CSV (DESIGN.md §5).

One home for the two rules every writer and every reader of free text shares:

- *Illegal characters.* XML 1.0 (and so every .xlsx) cannot hold most C0 control characters,
  lone surrogates or U+FFFE/U+FFFF; PostgreSQL text and JSONB cannot hold NUL. A vertical tab
  or form feed pasted from a word processor is its manual line break, so it becomes a newline;
  every other illegal character is dropped.
- *Formulas.* A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return
  before one) is run as a formula by spreadsheet programs (CSV injection, OWASP). Writers
  neutralise such text with a leading apostrophe, the convention spreadsheets themselves use.
"""

from __future__ import annotations

import re
from typing import Any

#: word processors' manual line break (VT) and page break (FF): kept as a line break
_LINE_BREAKS = str.maketrans({"\x0b": "\n", "\x0c": "\n"})
#: what XML 1.0 forbids (tab, newline and carriage return are allowed), plus NUL
_ILLEGAL = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def has_illegal_chars(text: str) -> bool:
    return bool(_ILLEGAL.search(text.translate(_LINE_BREAKS)))


def clean_text(text: str) -> str:
    """``text`` with line-break controls as newlines and every other illegal character gone."""
    return _ILLEGAL.sub("", text.translate(_LINE_BREAKS))


def clean_nested(value: Any) -> Any:
    """``clean_text`` applied to every string (keys too) inside dicts, lists and tuples."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_nested(k): clean_nested(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_nested(v) for v in value]
    return value


def neutralise_formula(text: str) -> str:
    """Text a spreadsheet shows as typed, never runs: a leading apostrophe before a formula
    prefix."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


#: how a NUL is shown where a rejected item is kept (PostgreSQL text cannot hold the NUL itself)
NUL_MARK = "\u2400"


def has_nul(value: Any) -> bool:
    """Is there a NUL in any string (keys too) inside ``value``? Walked without recursion, so a
    hostile structure thousands of levels deep cannot exhaust the stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def storable(value: Any) -> Any:
    """``clean_nested``, but a NUL is shown as ␀ instead of dropped: for keeping a refused
    item as it was sent (G4), in a form every database and workbook can hold."""
    if isinstance(value, str):
        return clean_text(value.replace("\x00", NUL_MARK))
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


def nesting_depth(value: Any, give_up_after: int) -> int:
    """How deeply lists and mappings nest in ``value`` (a scalar is 0, ``{"a": 1}`` is 1),
    counted level by level without recursion, and no further than ``give_up_after + 1``."""
    depth, level = 0, [value]
    while depth <= give_up_after:
        level = [v for v in level if isinstance(v, dict | list | tuple)]
        if not level:
            break
        depth += 1
        level = [c for v in level for c in (v.values() if isinstance(v, dict) else v)]
    return depth
