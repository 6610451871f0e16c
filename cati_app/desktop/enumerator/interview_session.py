"""One interview in progress: where we are in the script and what has been said.

No widgets here: the script runner shows a session and sends it key presses; the session saves
every answer through the controller the moment it is given, and the current item with it, so
reopening the case resumes at the same item (G1). Answers are stored as navigation.py describes
(select_multiple: chosen names separated by spaces; decimal: a float).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication

from cati_app.core.questionnaire import (
    Item,
    Questionnaire,
    completion,
    constraint_problem,
    effective_answers,
    fill,
    next_item,
    previous_item,
    progress,
    visible_items,
)
from cati_app.core.questionnaire.model import NON_SUBSTANTIVE, NUMBER_TYPES, YES_NO
from cati_app.core.questionnaire.navigation import is_unanswered

if TYPE_CHECKING:
    from cati_app.client.store.views import InterviewDraft
    from cati_app.desktop.enumerator.controller import EnumeratorController

# Don't know and Refused have fixed keys wherever they appear
FIXED_KEYS = {"dk": "D", "ref": "R"}
# keys for the 10th choice onwards; D and R are kept for Don't know and Refused
EXTRA_KEYS = "ABCEFGHIJKLMOPQSTUVWXZ"
# the types whose answer is typed into the entry
TYPED_TYPES = ("integer", "decimal", "text")


def _tr(text: str) -> str:
    return QCoreApplication.translate("InterviewSession", text)


@dataclass(frozen=True)
class Option:
    """One answer the enumerator can pick: the key to press, the stored name, the label."""

    key: str
    name: str
    label: str


def choice_keys(names: list[str]) -> list[str]:
    """The key for each choice in order: 1-9, then letters; dk and ref are always D and R."""
    spare = iter([str(n) for n in range(1, 10)] + list(EXTRA_KEYS))
    return [FIXED_KEYS.get(name) or next(spare, "") for name in names]


def number_text(value: Any) -> str:
    """A stored number as the enumerator typed it (12.0 shows as 12)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


class InterviewSession:
    def __init__(self, controller: EnumeratorController, questionnaire: Questionnaire,
                 draft: InterviewDraft, fills: dict[str, str]) -> None:
        self.controller = controller
        self.q = questionnaire
        self.interview_uuid = draft.interview_uuid
        self.case_id = draft.case_id
        self.language = draft.language if draft.language in questionnaire.languages \
            else questionnaire.default_language
        self.answers: dict[str, Any] = dict(draft.answers)
        self.fills = fills
        self.current: Item | None = self._resume_item(draft.current_item)
        self.finished_outcome: str | None = None

    def _resume_item(self, name: str | None) -> Item | None:
        visible = visible_items(self.q, self.answers)
        if name and self.q.has_item(name) and any(i.name == name for i in visible):
            return self.q.item(name)
        if name and self.q.has_item(name):  # no longer relevant: the next relevant item
            return next_item(self.q, self.answers, name)
        return visible[0] if visible else None

    # --- reading --------------------------------------------------------------------------

    def text(self, texts: dict[str, str]) -> str:
        return fill(self.q.text(texts, self.language), self.fills)

    def answer_of(self, item: Item) -> Any:
        return self.answers.get(item.name)

    def chosen(self, item: Item) -> list[str]:
        """The choice names picked for a select_multiple item, in the order stored."""
        value = self.answers.get(item.name)
        return value.split() if isinstance(value, str) else []

    def progress(self) -> tuple[int, int]:
        return progress(self.q, self.answers, self.current.name if self.current else None)

    def options(self, item: Item) -> list[Option]:
        """What the enumerator can pick for a choice or yes/no item (none for other types)."""
        if item.type == "yes_no":
            return [Option("Y", "yes", self._yes_no_label("yes")),
                    Option("N", "no", self._yes_no_label("no"))]
        if item.type not in ("select_one", "select_multiple"):
            return []
        choices = self.q.choices_for(item)
        keys = choice_keys([choice.name for choice in choices])
        return [Option(key, choice.name, self.text(choice.label))
                for key, choice in zip(keys, choices, strict=True) if key]

    def _yes_no_label(self, name: str) -> str:
        """The questionnaire's own yes/no label in the script language when it has a yes/no
        choice list (an XLSForm select_one yes/no carries one), else the app's Yes/No."""
        for choices in self.q.choice_lists.values():
            if {choice.name for choice in choices} == set(YES_NO):
                label = next(c.label for c in choices if c.name == name)
                if self.text(label):
                    return self.text(label)
        return _tr("Yes") if name == "yes" else _tr("No")

    # --- acting -----------------------------------------------------------------------------

    def answer(self, value: Any) -> None:
        """Save ``value`` for the current item now (None or blank text removes the answer)."""
        if self.current is None or not self.current.takes_answer:
            return
        name = self.current.name
        stored = None if is_unanswered(value) else value
        self.controller.save_answer(self.interview_uuid, name, stored, current_item=name)
        if stored is None:
            self.answers.pop(name, None)
        else:
            self.answers[name] = stored

    def toggle(self, name: str) -> None:
        """Tick or untick one choice of the current select_multiple item and save at once.

        Don't know and Refused exclude every other choice: ticking one clears the rest, and
        ticking a real answer clears them."""
        item = self.current
        if item is None or item.type != "select_multiple":
            return
        chosen = set(self.chosen(item))
        if name in chosen:
            chosen.discard(name)
        elif name in NON_SUBSTANTIVE:
            chosen = {name}
        else:
            chosen = (chosen - set(NON_SUBSTANTIVE)) | {name}
        # stored in choice-list order so the same ticks always give the same text
        order = [choice.name for choice in self.q.choices_for(item)]
        self.answer(" ".join(n for n in order if n in chosen))

    def typed_value(self, item: Item, raw: str) -> tuple[Any, str | None]:
        """The value to store for text typed into the entry, or a message saying why it
        cannot be stored. A comma typed as the decimal point is read as a point."""
        raw = raw.strip()
        if item.type == "text" or not raw:
            return raw, None
        if item.type == "integer":
            try:
                return int(raw), None
            except ValueError:
                return None, _tr("Type a whole number, for example 42.")
        try:
            value = float(raw.replace(",", "."))
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            return None, _tr("Type a number, for example 12.5.")
        return value, None

    def problem_with_current(self) -> str | None:
        """Why Enter cannot move on yet, or None."""
        item = self.current
        if item is None or not item.takes_answer:
            return None
        value = self.answers.get(item.name)
        if is_unanswered(value):
            if not item.required:
                return None
            if item.type == "select_multiple":
                return _tr("Pick at least one answer.")
            return _tr("This question needs an answer.")
        return self._bounds_problem(item, value) or self._constraint_problem(item, value)

    @staticmethod
    def _bounds_problem(item: Item, value: Any) -> str | None:
        if item.type not in NUMBER_TYPES:
            return None
        if item.min is not None and value < item.min:
            return _tr("The answer must be at least {minimum}.").format(
                minimum=number_text(item.min))
        if item.max is not None and value > item.max:
            return _tr("The answer must be at most {maximum}.").format(
                maximum=number_text(item.max))
        return None

    def _constraint_problem(self, item: Item, value: Any) -> str | None:
        problem = constraint_problem(self.q, item, value, effective_answers(self.q, self.answers),
                                     self.language)
        return None if problem is None else fill(problem, self.fills)

    def advance(self) -> Item | None:
        """Move to the next relevant item; None at the end of the script."""
        after = next_item(self.q, self.answers, self.current.name if self.current else None)
        if after is not None:
            self._move_to(after)
        return after

    def back(self) -> Item | None:
        before = previous_item(self.q, self.answers, self.current.name if self.current else None)
        if before is not None:
            self._move_to(before)
        return before

    def set_language(self, language: str) -> None:
        if language in self.q.languages:
            self.language = language

    def finish(self) -> str:
        """Save the interview for upload; the outcome key its answers imply (the store derives
        the same with the same core function)."""
        self.controller.finish_interview(self.interview_uuid)
        self.finished_outcome = completion(self.q, self.answers)
        return self.finished_outcome

    def _move_to(self, item: Item) -> None:
        self.current = item
        self.controller.set_current_item(self.interview_uuid, item.name)
