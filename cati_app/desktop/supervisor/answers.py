"""How a supervisor reads an interview version's answers, the same on the Review tab and on
the Conflicts tab: the question's words with its name, the chosen code with its label, and a
visible difference between a question asked but left without answer and one never asked
(skipped by the script's conditions, or not reached before the call ended)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from PySide6.QtCore import QCoreApplication

from cati_app.core.questionnaire import Questionnaire, default_questionnaire

#: the longest question text shown in a table cell; the name in brackets says the rest
QUESTION_MAX = 90


def _translate(text: str) -> str:
    return QCoreApplication.translate("Answers", text)


@dataclass(frozen=True)
class AnswerPresenter:
    """Labels of one questionnaire (empty for one this computer does not know: then names and
    codes show as they are)."""

    #: item names in script order
    order: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    #: item name -> choice code -> label (per item: two lists may share a code)
    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, questionnaire: Questionnaire, language: str = "en") -> AnswerPresenter:
        return cls(
            order=tuple(i.name for i in questionnaire.items),
            labels={i.name: questionnaire.text(i.label, language) for i in questionnaire.items},
            choices={i.name: {c.name: questionnaire.text(c.label, language)
                              for c in questionnaire.choices_for(i)}
                     for i in questionnaire.items if questionnaire.choices_for(i)})

    def names(self, answer_sets: Iterable[Mapping[str, Any]]) -> list[str]:
        """Every question any of these versions holds, in script order; questions the
        questionnaire does not know follow, in the order the versions hold them."""
        held: dict[str, None] = {}
        for answers in answer_sets:
            held.update(dict.fromkeys(answers))
        return [n for n in self.order if n in held] + [n for n in held if n not in self.labels]

    def question(self, name: str) -> str:
        label = " ".join(self.labels.get(name, "").split())
        if not label or label == name:
            return name
        if len(label) > QUESTION_MAX:
            label = label[:QUESTION_MAX - 1] + "…"
        return f"{label}  [{name}]"

    def answer(self, name: str, answers: Mapping[str, Any]) -> str:
        if name not in answers:
            return _translate("— not asked")
        return self._value(name, answers[name])

    def _value(self, name: str, value: Any) -> str:  # noqa: ANN401 - any JSON answer
        if isinstance(value, list):
            return ", ".join(self._value(name, v) for v in value) or _translate("(no answer)")
        text = "" if value is None else str(value).strip()
        if not text:
            return _translate("(no answer)")
        label = self.choices.get(name, {}).get(text)
        return f"{text} · {label}" if label and label != text else text

    def rows(self, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(question, answer) of one version, in script order."""
        return [(self.question(n), self.answer(n, answers)) for n in self.names([answers])]


@lru_cache(maxsize=8)
def presenter_for(questionnaire_id: str) -> AnswerPresenter:
    """The labels of the questionnaire this computer ships; bare names for any other."""
    shipped = default_questionnaire()
    return AnswerPresenter.of(shipped) if shipped.id == questionnaire_id else AnswerPresenter()
