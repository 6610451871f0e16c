"""Fill tags: case details read out in the script, e.g. "May I speak with {respondent}?".

A tag is ``{name}`` with a lower-case name. ``fill`` replaces a tag with the value from the
context when there is a non-empty one and otherwise leaves the tag visible exactly as written:
an enumerator who sees "{office}" on screen knows something is missing and rephrases, whereas
a silently blank fill reads out as a broken sentence ("at the  office") nobody notices.
Unknown tags (a typo such as ``{respondant}``) stay visible for the same reason; the
questionnaire loader reports them so they are caught before fieldwork.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: the tags the client fills from the case (DESIGN.md §3.5)
FILL_TAGS: tuple[str, ...] = ("respondent", "service", "office", "date_availed", "enumerator")

_TAG = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def fill(text: str, context: Mapping[str, str]) -> str:
    """``text`` with every ``{tag}`` that has a non-empty value in ``context`` replaced."""

    def replace(match: re.Match[str]) -> str:
        value = context.get(match.group(1))
        return str(value) if value not in (None, "") else match.group(0)

    return _TAG.sub(replace, text)


def tags_in(text: str) -> list[str]:
    """The tag names used in ``text``, in order of appearance (for validation)."""
    return _TAG.findall(text)
