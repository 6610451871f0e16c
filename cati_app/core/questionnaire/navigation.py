"""Moving through the script: which items are asked, in which order, and what is wrong with a
set of answers. Used by the client's script runner and by the server when it flags uploads.

Answers are a dict item name → value: select_one a choice name (str), select_multiple the
chosen names separated by spaces (str, as XLSForm stores them: ``"radio phone"``), yes_no
"yes"/"no", integer an int, decimal an int or float, text a str. ``None`` and blank text mean
unanswered. A constraint is checked against an answer given (never an empty one), seeing the
effective answers above the item.

Stale answers. When the enumerator goes back and changes an answer so that later items are no
longer relevant (consent changed to "no", say), the answers already given to those items are
kept in the interview (nothing a respondent said is dropped, DESIGN.md §4 G4) but are
*ignored*: ``effective_answers`` leaves them out, and scoring, completion, relevance and
required-checks all work from the effective answers. Relevance is decided top to bottom, each
condition seeing only the effective answers above it, so an irrelevant item's stale answer
can never make a later item relevant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from cati_app.core.questionnaire.expressions import check_answer, parse
from cati_app.core.questionnaire.model import YES_NO, Item, Questionnaire

Answers = Mapping[str, Any]


def is_unanswered(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _walk(q: Questionnaire, answers: Answers) -> tuple[list[Item], dict[str, Any]]:
    """The relevant items in order, and the answers that count (see the module docstring)."""
    return skip_logic(q).walk(answers)


def walk_item_by_item(q: Questionnaire, answers: Answers
                      ) -> tuple[list[Item], dict[str, Any]]:
    """``_walk`` the long way: every condition evaluated, top to bottom. SkipLogic remembers
    its results; this is what it must always agree with (a property test holds it to that)."""
    visible: list[Item] = []
    effective: dict[str, Any] = {}
    decided: dict[tuple[Any, ...], bool] = {}
    for item in q.items:
        if item.relevant is not None and not _holds(item.relevant, effective, decided):
            continue
        visible.append(item)
        value = answers.get(item.name)
        if item.takes_answer and not is_unanswered(value):
            effective[item.name] = value
    return visible, effective


def _holds(condition: str, effective: dict[str, Any], decided: dict[tuple[Any, ...], bool]
           ) -> bool:
    """Many items share one condition (the ten SET indicators all ask for consent and
    availed): evaluate it once per distinct set of the answers it reads."""
    expression = parse(condition)
    key = (condition, *(effective.get(name) for name in sorted(expression.references)))
    try:
        return decided[key]
    except KeyError:
        decided[key] = expression.evaluate(effective)
        return decided[key]
    except TypeError:  # an unhashable answer: just evaluate
        return expression.evaluate(effective)


#: distinct combinations of the answers conditions read, remembered per questionnaire
SKIP_MEMORY = 4096


class SkipLogic:
    """The skip logic of one questionnaire version, worked out once per combination of the
    answers its conditions read (and its choice names, listed once).

    Which items are relevant depends only on the answers to the items some condition reads
    (consent and availed in the SET script), so the walk is remembered by those values. The
    server scores every pushed interview twice (completion and answer problems); with this a
    batch of interviews evaluates each condition once per combination instead of per item.
    The key holds each value with its type: ``1``, ``1.0`` and ``True`` are equal in Python
    but not to the conditions."""

    def __init__(self, q: Questionnaire) -> None:
        self._q = q
        self._reads = tuple(sorted({name for item in q.items if item.relevant is not None
                                    for name in parse(item.relevant).references}))
        #: each choice list's names, in order (for messages) and as a set (to look up)
        self.choice_names = {name: tuple(c.name for c in choices)
                             for name, choices in q.choice_lists.items()}
        self.choice_sets = {name: frozenset(names) for name, names in self.choice_names.items()}
        #: key → (the relevant items, the names of those that take an answer)
        self._walks: dict[tuple[tuple[type, Any], ...],
                          tuple[tuple[Item, ...], tuple[str, ...]]] = {}

    def walk(self, answers: Answers) -> tuple[list[Item], dict[str, Any]]:
        key = tuple((type(v), v) for v in map(answers.get, self._reads))
        try:
            known = self._walks.get(key)
        except TypeError:  # an unhashable answer (a list): walk the long way, remember nothing
            return walk_item_by_item(self._q, answers)
        if known is None:
            visible = tuple(walk_item_by_item(self._q, answers)[0])
            known = visible, tuple(item.name for item in visible if item.takes_answer)
            if len(self._walks) < SKIP_MEMORY:
                self._walks[key] = known
        visible, answering = known
        effective = {}
        for name in answering:
            value = answers.get(name)
            if not is_unanswered(value):
                effective[name] = value
        return list(visible), effective


def skip_logic(q: Questionnaire) -> SkipLogic:
    """The questionnaire's SkipLogic, made on first use (a parsed questionnaire never
    changes: it is a frozen model)."""
    memo = q.memo
    known = memo.value
    if not isinstance(known, SkipLogic):
        known = memo.value = SkipLogic(q)
    return known


def effective_answers(q: Questionnaire, answers: Answers) -> dict[str, Any]:
    """Answers to relevant items only; stale answers to skipped items and unknown names are
    dropped (from this view, not from the stored interview)."""
    return _walk(q, answers)[1]


def visible_items(q: Questionnaire, answers: Answers) -> list[Item]:
    """Items (notes included) whose condition holds, in script order."""
    return _walk(q, answers)[0]


def next_item(q: Questionnaire, answers: Answers, current: str | None) -> Item | None:
    """The first relevant item after ``current`` (``None``: not started yet, so the first
    relevant item); ``None`` at the end of the script."""
    after = -1 if current is None else q.index_of(current)
    return next((i for i in visible_items(q, answers) if q.index_of(i.name) > after), None)


def previous_item(q: Questionnaire, answers: Answers, current: str | None) -> Item | None:
    """The last relevant item before ``current``; ``None`` at the start (and for
    ``current=None``, which means nothing has been shown yet)."""
    if current is None:
        return None
    before = q.index_of(current)
    earlier = [i for i in visible_items(q, answers) if q.index_of(i.name) < before]
    return earlier[-1] if earlier else None


def progress(q: Questionnaire, answers: Answers, current: str | None) -> tuple[int, int]:
    """(position, total) among the relevant items, notes included, for "item 4 of 17".

    Position counts relevant items up to and including ``current`` (0 before the start); if
    ``current`` itself has just become irrelevant it counts those before it. The total
    changes as answers open or close branches.
    """
    visible = visible_items(q, answers)
    if current is None:
        return 0, len(visible)
    upto = q.index_of(current)
    return sum(1 for i in visible if q.index_of(i.name) <= upto), len(visible)


def answer_problems(q: Questionnaire, answers: Answers) -> list[str]:
    """What is wrong with these answers, in script order, then unknown names.

    For flagging an upload for review, never for dropping it. Values are checked for every
    known item, stale ones included; "required" and constraints only for items that are
    relevant. A partial or break-off interview naturally lacks required answers: callers that
    know the interview ended early may ignore the "required but not answered" lines.
    """
    visible, effective = _walk(q, answers)
    relevant = {item.name for item in visible}
    choice_names = skip_logic(q).choice_names
    problems = []
    for item in q.items:
        value = answers.get(item.name)
        if not is_unanswered(value):
            problem = _value_problem(choice_names, item, value)
            if problem is None and item.name in relevant:
                problem = constraint_problem(q, item, value, effective)
            if problem:
                problems.append(f"{item.name}: {problem}")
        elif item.required and item.takes_answer and item.name in relevant:
            problems.append(f"{item.name}: required but not answered")
    problems += [f"{name}: not an item of {q.id} version {q.version}"
                 for name in answers if not q.has_item(name)]
    return problems


def constraint_problem(q: Questionnaire, item: Item, value: object, answers: Answers,
                       language: str | None = None) -> str | None:
    """The item's constraint message (in ``language``, else the default language, else the
    condition itself) when ``value`` breaks the constraint; None when it holds or there is
    none. ``answers`` are the answers the constraint may read (the effective ones)."""
    if item.constraint is None or is_unanswered(value):
        return None
    if check_answer(item.constraint, value, answers):
        return None
    message = q.text(item.constraint_message, language or q.default_language)
    return message or f"the answer does not meet the condition {item.constraint}"


def _value_problem(choice_names: Mapping[str, tuple[str, ...]], item: Item, value: object
                   ) -> str | None:
    if item.type == "note":
        return "is a note and takes no answer"
    if item.type == "select_one":
        names = choice_names.get(item.choices or "", ())
        if value not in names:
            return f"{value!r} is not in choice list {item.choices!r} ({', '.join(names)})"
    elif item.type == "select_multiple":
        return _multiple_problem(choice_names, item, value)
    elif item.type == "yes_no" and value not in YES_NO:
        return f"{value!r} is not 'yes' or 'no'"
    elif item.type == "integer":
        return _integer_problem(item, value)
    elif item.type == "decimal":
        return _decimal_problem(item, value)
    elif item.type == "text" and not isinstance(value, str):
        return f"{value!r} is not text"
    return None


def _multiple_problem(choice_names: Mapping[str, tuple[str, ...]], item: Item, value: object
                      ) -> str | None:
    if not isinstance(value, str):
        return f"{value!r} is not text of choice names separated by spaces"
    names = choice_names.get(item.choices or "", ())
    chosen = value.split()
    unknown = [name for name in chosen if name not in names]
    if unknown:
        return (f"{', '.join(map(repr, unknown))} not in choice list {item.choices!r} "
                f"({', '.join(names)})")
    if len(set(chosen)) != len(chosen):
        return f"{value!r} names a choice more than once"
    return None


def _integer_problem(item: Item, value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{value!r} is not a whole number"
    return _bounds_problem(item, value)


def _decimal_problem(item: Item, value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"{value!r} is not a number"
    return _bounds_problem(item, value)


def _bounds_problem(item: Item, value: float) -> str | None:
    if item.min is not None and value < item.min:
        return f"{value} is below the minimum {item.min}"
    if item.max is not None and value > item.max:
        return f"{value} is above the maximum {item.max}"
    return None
