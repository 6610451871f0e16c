"""Answers as the server keeps them: choice codes are text.

The desktop sends every choice code as a string (``"4"``); another client (or a hand-made
upload) may send the JSON number ``4``. Those are the same answers, so they are stored as the
text the questionnaire names them by, and the completion is judged on that. A value that
cannot be the answer of its item (``true`` for yes/no, ``9`` or ``4.5`` for a 1-5 item, a list)
is refused with a message naming the item: it is never read as "no answer", which would
silently turn a complete interview into a break-off.
"""

from __future__ import annotations

from typing import Any

from cati_app.core.questionnaire.model import Item, Questionnaire

CHOICE_TYPES = frozenset({"select_one", "select_multiple"})


def normalise_answers(q: Questionnaire, answers: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``answers`` with numbers given for choice and text items as text; raises
    ValueError naming the first item whose value is not a possible answer."""
    result = dict(answers)
    for name, value in answers.items():
        if value is None or isinstance(value, str) or not q.has_item(name):
            continue  # text is judged (and flagged) by answer_problems, as always
        result[name] = _as_text(q, q.item(name), value)
    return result


def _as_text(q: Questionnaire, item: Item, value: Any) -> Any:
    number = _whole_number(value)
    if item.type in CHOICE_TYPES:
        codes = [choice.name for choice in q.choices_for(item)]
        if number is None or str(number) not in codes:
            raise ValueError(f"{item.name}: {value!r} is not one of its answer codes "
                             f"({', '.join(codes)}); send the code as text")
        return str(number)
    if item.type == "yes_no":
        raise ValueError(f"{item.name}: {value!r} is not 'yes' or 'no'")
    if item.type == "text" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value  # integer and decimal items take numbers; anything else is flagged later


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
