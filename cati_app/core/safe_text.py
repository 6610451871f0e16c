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


#: anything clean_text changes: most text has none, and is returned as it is
_TO_CLEAN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """``text`` with line-break controls as newlines and every other illegal character gone."""
    if _TO_CLEAN.search(text) is None:  # every pushed answer passes here: keep it cheap
        return text
    return _ILLEGAL.sub("", text.translate(_LINE_BREAKS))


def needs_cleaning(value: Any) -> bool:
    """Does any string (keys too) inside ``value`` hold a character ``clean_text`` changes, a
    NUL included? Almost no pushed payload does: one walk, without recursion (a hostile
    structure cannot exhaust the stack), and one regular-expression search over all its text
    (a newline, which clean_text keeps, joins the strings), where cleaning a clean payload
    built a copy of it string by string."""
    texts: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if type(item) is str:
            texts.append(item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                if type(key) is str and type(inner) is str:
                    texts.append(key)
                    texts.append(inner)
                else:
                    pending.append(key)
                    pending.append(inner)
        elif isinstance(item, list | tuple):
            pending.extend(item)
        elif isinstance(item, str):  # a str subclass
            texts.append(str(item))
    return _TO_CLEAN.search("\n".join(texts)) is not None


def clean_nested(value: Any) -> Any:
    """``clean_text`` applied to every string (keys too) inside dicts, lists and tuples."""
    if isinstance(value, str):
        return clean_text(value)
    # plain strings inline: a pushed interview's answers are a flat dict of them
    if isinstance(value, dict):
        return {(clean_text(k) if type(k) is str else clean_nested(k)):
                (clean_text(v) if type(v) is str else clean_nested(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_text(v) if type(v) is str else clean_nested(v) for v in value]
    return value


def neutralise_formula(text: str) -> str:
    """Text a spreadsheet shows as typed, never runs: a leading apostrophe before a formula
    prefix."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


#: an ISO date (kept as it is) or a run of digits with the separators people write numbers with
_DATE_OR_DIGITS = re.compile(
    r"(?<!\w)(?P<date>\d{4}-\d{2}-\d{2})(?!\w)"
    r"|(?<!\w)(?:\+|\(\+?)?\d(?:[ .\-()\u00a0]{0,2}\d)+(?!\w)")
#: fewer digits than this are amounts, times, counts; a Bhutanese landline has 7, a mobile 8
PHONE_MIN_DIGITS = 7
PHONE_MASK = "[phone]"


def mask_phone_runs(text: str) -> str:
    """``text`` with every phone-number-like run of digits (7 or more digits, spaces, dashes,
    dots or brackets between them, an optional ``+``) replaced by ``[phone]``: what a
    respondent or an enumerator typed into free text must not carry a phone number into an
    export without personal data (DESIGN.md §5). ISO dates are left alone; shorter runs are
    amounts and times."""
    def mask(match: re.Match[str]) -> str:
        run = match.group(0)
        if match.group("date") or sum(ch.isdigit() for ch in run) < PHONE_MIN_DIGITS:
            return run
        return PHONE_MASK

    return _DATE_OR_DIGITS.sub(mask, text)


def export_text(text: str, *, mask_phones: bool = False) -> str:
    """What every exported text cell (xlsx and csv) shows: illegal characters cleaned (text
    stored before the inbound checks existed still exports), and in an export without personal
    data, phone numbers masked. Formulas are each writer's business: a workbook marks the cell
    as text, a CSV needs the apostrophe of ``neutralise_formula``."""
    cleaned = clean_text(text)
    return mask_phone_runs(cleaned) if mask_phones else cleaned


#: what may need ``export_text`` or a text marker: a formula prefix, an illegal character, or
#: (when masking) a stretch of digits and separators long enough to hold a phone number
_CARE = "^[=+\\-@\t\r]|[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
_NEEDS_CARE = re.compile(_CARE)
_NEEDS_CARE_MASKING = re.compile(_CARE + "|\\d[\\d .\\-()\u00a0]{5,}\\d")


def is_plain_text(text: str, *, mask_phones: bool = False) -> bool:
    """True when ``export_text`` would not change ``text`` and it cannot be read as a
    formula: the writers' fast path (most cells are short codes and names)."""
    return not (_NEEDS_CARE_MASKING if mask_phones else _NEEDS_CARE).search(text)

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
