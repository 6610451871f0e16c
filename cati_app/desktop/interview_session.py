"""One interview in progress: where we are in the script and what has been said.

No widgets here: the script runner shows a session and sends it key presses; the session saves
every answer through the controller the moment it is given, and the current item with it, so
reopening the case resumes at the same item (G1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cati_app.core.questionnaire import (
    Item,
    Questionnaire,
    completion,
    fill,
    next_item,
    previous_item,
    progress,
    visible_items,
)
from cati_app.core.questionnaire.navigation import is_unanswered

if TYPE_CHECKING:
    from cati_app.client.store.views import InterviewDraft
    from cati_app.desktop.controller import EnumeratorController


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

    def progress(self) -> tuple[int, int]:
        return progress(self.q, self.answers, self.current.name if self.current else None)

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

    def problem_with_current(self) -> str | None:
        """Why Enter cannot move on yet, or None."""
        item = self.current
        if item is None or not item.takes_answer:
            return None
        value = self.answers.get(item.name)
        if is_unanswered(value):
            return "This question needs an answer." if item.required else None
        if item.type == "integer":
            if item.min is not None and value < item.min:
                return f"The answer must be at least {item.min}."
            if item.max is not None and value > item.max:
                return f"The answer must be at most {item.max}."
        return None

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
