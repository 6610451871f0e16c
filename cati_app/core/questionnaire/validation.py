"""Loading a questionnaire definition and reporting every problem in it at once.

An author fixing a definition (or an XLSForm import) wants the whole list, not one error per
round trip, so checks never stop at the first problem. When the shape itself is wrong
(pydantic errors) the items and choice lists that do validate are still checked.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeGuard

from pydantic import TypeAdapter, ValidationError

from cati_app.core.questionnaire.expressions import NAME, ExpressionError, parse
from cati_app.core.questionnaire.fills import FILL_TAGS, tags_in
from cati_app.core.questionnaire.model import (
    CHOICE_TYPES,
    NON_SUBSTANTIVE,
    NUMBER_TYPES,
    PARAMETERS,
    ROLES,
    SUBSTANTIVE,
    Choice,
    Item,
    Questionnaire,
    Texts,
)
from cati_app.core.resources import resource

DEFAULT_PATH = ("questionnaires", "set_default.json")


class QuestionnaireError(ValueError):
    """A definition that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid questionnaire:\n" + "\n".join(f"- {p}" for p in problems))


@dataclass
class _Parts:
    """What the semantic checks look at; filled from a valid model or salvaged from raw data."""

    items: list[Item]
    choice_lists: dict[str, list[Choice]]
    languages: list[str]
    default_language: str
    needs_review: list[str]
    title: Texts | None


def load_questionnaire(data: Any) -> Questionnaire:
    """A validated questionnaire from its JSON data; QuestionnaireError lists all problems."""
    if not isinstance(data, dict):
        raise QuestionnaireError(["a questionnaire must be a JSON object"])
    try:
        questionnaire = Questionnaire.model_validate(data)
    except ValidationError as error:
        problems = _shape_problems(error, data) + _semantic_problems(_salvage(data))
        raise QuestionnaireError(problems) from None
    problems = _semantic_problems(_parts_of(questionnaire))
    if problems:
        raise QuestionnaireError(problems)
    return questionnaire


@lru_cache(maxsize=1)
def default_questionnaire() -> Questionnaire:
    """The shipped SET script. Cached: it is immutable and read on every interview."""
    with resource(*DEFAULT_PATH).open(encoding="utf-8") as file:
        return load_questionnaire(json.load(file))


# --- shape ----------------------------------------------------------------------------------


def _shape_problems(error: ValidationError, data: dict[str, Any]) -> list[str]:
    return [f"{_where(e['loc'], data)}: {e['msg']}" for e in error.errors()]


def _where(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """``items.3.type`` becomes ``item 'acc_info' (4th): type``: authors know names."""
    if len(loc) >= 2 and loc[0] == "items" and isinstance(loc[1], int):
        raw = data["items"][loc[1]] if isinstance(data.get("items"), list) else None
        name = raw.get("name") if isinstance(raw, dict) else None
        label = f"item {name!r}" if isinstance(name, str) else f"item number {loc[1] + 1}"
        rest = ".".join(str(part) for part in loc[2:])
        return f"{label}: {rest}" if rest else label
    return ".".join(str(part) for part in loc) or "questionnaire"


def _salvage(data: dict[str, Any]) -> _Parts:
    items = [item for item in _valid_each(Item, data.get("items")) if item is not None]
    lists_adapter = TypeAdapter(list[Choice])
    choice_lists: dict[str, list[Choice]] = {}
    raw_lists = data.get("choice_lists")
    for name, raw in (raw_lists.items() if isinstance(raw_lists, dict) else ()):
        try:
            choice_lists[name] = lists_adapter.validate_python(raw)
        except ValidationError:
            choice_lists[name] = []  # exists but broken: already reported as a shape problem
    languages = data.get("languages")
    default = data.get("default_language", "en")
    review = data.get("needs_review", [])
    title = data.get("title")
    return _Parts(
        items=items,
        choice_lists=choice_lists,
        languages=languages if _str_list(languages) else [],
        default_language=default if isinstance(default, str) else "en",
        needs_review=review if _str_list(review) else [],
        title=title if isinstance(title, dict) else None,
    )


def _valid_each(model: type[Item], raw: Any) -> list[Item | None]:
    if not isinstance(raw, list):
        return []
    result: list[Item | None] = []
    for entry in raw:
        try:
            result.append(model.model_validate(entry))
        except ValidationError:
            result.append(None)
    return result


def _str_list(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _parts_of(q: Questionnaire) -> _Parts:
    return _Parts(q.items, q.choice_lists, q.languages, q.default_language, q.needs_review,
                  q.title)


# --- meaning --------------------------------------------------------------------------------


def _semantic_problems(parts: _Parts) -> list[str]:
    return [
        *_language_problems(parts),
        *_name_problems(parts.items),
        *_choice_list_problems(parts),
        *(p for item in parts.items for p in _item_problems(item, parts)),
        *_role_problems(parts.items),
        *_condition_problems(parts.items),
    ]


def _language_problems(parts: _Parts) -> list[str]:
    problems = []
    if parts.languages and parts.default_language not in parts.languages:
        problems.append(f"default language {parts.default_language!r} is not in languages")
    problems += [f"needs_review names {lang!r}, which is not in languages"
                 for lang in parts.needs_review if lang not in parts.languages]
    if parts.title is not None:
        problems += _text_problems("title", "title", parts.title, parts)
    return problems


def _text_problems(where: str, what: str, texts: Texts, parts: _Parts) -> list[str]:
    problems = []
    if not texts.get(parts.default_language, "").strip():
        problems.append(f"{where}: {what} has no text in the default language "
                        f"{parts.default_language!r}")
    undeclared = sorted(set(texts) - set(parts.languages)) if parts.languages else []
    problems += [f"{where}: {what} has text in {lang!r}, which is not in languages"
                 for lang in undeclared]
    unknown = sorted({tag for text in texts.values() for tag in tags_in(text)} - set(FILL_TAGS))
    problems += [f"{where}: {what} uses unknown fill tag {{{tag}}} (known: "
                 f"{', '.join(FILL_TAGS)})" for tag in unknown]
    return problems


def _name_problems(items: list[Item]) -> list[str]:
    counts = Counter(item.name for item in items)
    problems = [f"item name {name!r} is used {n} times" for name, n in counts.items() if n > 1]
    problems += [f"item {item.name!r}: a name must start with a letter or '_' and contain only "
                 "letters, digits, '_', '-' and '.'" for item in items
                 if not NAME.fullmatch(item.name)]
    return problems


def _choice_list_problems(parts: _Parts) -> list[str]:
    problems = []
    for list_name, choices in parts.choice_lists.items():
        where = f"choice list {list_name!r}"
        if not choices:
            problems.append(f"{where}: has no choices")
        counts = Counter(choice.name for choice in choices)
        problems += [f"{where}: choice {name!r} appears {n} times"
                     for name, n in counts.items() if n > 1]
        for choice in choices:
            problems += _text_problems(where, f"choice {choice.name!r}", choice.label, parts)
    return problems


def _item_problems(item: Item, parts: _Parts) -> list[str]:
    where = f"item {item.name!r}"
    problems = _text_problems(where, "label", item.label, parts)
    if item.hint:
        problems += _text_problems(where, "hint", item.hint, parts)
    own = _choice_problems(item, parts.choice_lists) + _range_problems(item)
    if item.parameter is not None:
        own += _indicator_problems(item, parts.choice_lists)
    return problems + [f"{where}: {p}" for p in own]


def _choice_problems(item: Item, choice_lists: dict[str, list[Choice]]) -> list[str]:
    if item.type in CHOICE_TYPES and item.choices is None:
        return [f"{item.type} needs a choice list (choices)"]
    if item.choices is not None and item.type not in CHOICE_TYPES:
        return [f"choices apply only to select_one and select_multiple, not {item.type}"]
    if item.choices is not None and item.choices not in choice_lists:
        return [f"choice list {item.choices!r} does not exist"]
    return []


def _range_problems(item: Item) -> list[str]:
    bounds = [b for b in (item.min, item.max) if b is not None]
    if bounds and item.type not in NUMBER_TYPES:
        return [f"min/max apply only to integer and decimal, not {item.type}"]
    if item.type == "integer" and any(not float(b).is_integer() for b in bounds):
        return ["min/max of an integer must be whole numbers"]
    if item.min is not None and item.max is not None and item.min > item.max:
        return [f"min {item.min} is greater than max {item.max}"]
    return []


def _indicator_problems(item: Item, choice_lists: dict[str, list[Choice]]) -> list[str]:
    if item.parameter not in PARAMETERS:
        return [f"unknown parameter {item.parameter!r} (known: {', '.join(PARAMETERS)})"]
    if item.type != "select_one":
        return ["an indicator must be select_one"]
    names = {choice.name for choice in choice_lists.get(item.choices or "", [])}
    allowed = set(SUBSTANTIVE) | set(NON_SUBSTANTIVE)
    if names and (not set(SUBSTANTIVE) <= names or not names <= allowed):
        return [f"an indicator's choices must be {', '.join(SUBSTANTIVE)} and optionally "
                f"{', '.join(NON_SUBSTANTIVE)} (scoring reads them)"]
    return []


def _role_problems(items: list[Item]) -> list[str]:
    problems = []
    for item in items:
        if item.role is None:
            continue
        if item.role not in ROLES:
            problems.append(f"item {item.name!r}: unknown role {item.role!r} "
                            f"(known: {', '.join(ROLES)})")
        elif item.type != ROLES[item.role]:
            problems.append(f"item {item.name!r}: role {item.role!r} needs type "
                            f"{ROLES[item.role]}, not {item.type}")
    counts = Counter(item.role for item in items if item.role is not None)
    problems += [f"role {role!r} is given to {n} items" for role, n in counts.items() if n > 1]
    return problems


def _condition_problems(items: list[Item]) -> list[str]:
    position: dict[str, tuple[int, Item]] = {}
    for index, item in enumerate(items):
        position.setdefault(item.name, (index, item))
    problems = []
    for index, item in enumerate(items):
        for field in ("relevant", "constraint"):
            problems += [f"item {item.name!r}: {field}: {p}"
                         for p in _one_condition_problems(index, item, field, position)]
        if item.constraint_message and item.constraint is None:
            problems.append(f"item {item.name!r}: constraint_message without a constraint")
    return problems


def _one_condition_problems(index: int, item: Item, field: str,
                            position: dict[str, tuple[int, Item]]) -> list[str]:
    source = getattr(item, field)
    if source is None:
        return []
    if field == "constraint" and not item.takes_answer:
        return ["a note takes no answer, so it cannot have a constraint"]
    try:
        expression = parse(source)
    except ExpressionError as error:
        return [str(error)]
    problems = []
    if expression.uses_self and field == "relevant":
        problems.append("'.' (the item's own value) can only be used in a constraint")
    references = set(expression.references)
    if field == "constraint" and item.name in references:
        # the item's own answer is '.' in a constraint; the name would read the old answer
        problems.append(f"write '.' for the item's own value, not ${{{item.name}}}")
        references.discard(item.name)
    return problems + _reference_problems(index, references, position)


def _reference_problems(
    index: int, references: Iterable[str], position: dict[str, tuple[int, Item]]
) -> list[str]:
    problems = []
    for name in sorted(references):
        if name not in position:
            problems.append(f"refers to unknown item {name!r}")
            continue
        where, target = position[name]
        if where == index:
            problems.append("refers to the item itself")
        elif where > index:
            # the script runs top to bottom: a later answer does not exist yet
            problems.append(f"refers to {name!r}, which comes later in the script")
        elif not target.takes_answer:
            problems.append(f"refers to {name!r}, a note, which has no answer")
    return problems
