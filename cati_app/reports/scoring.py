"""Scoring many interviews quickly, and adding the scores up per service.

``InterviewScorer`` gives the same effective answers and scores as ``cati_app.core.questionnaire``
(``effective_answers`` and ``score``; tests/reports/test_scoring.py checks them against each
other on generated answers) but decides which items are relevant once per distinct set of
answers the skip logic reads (consent, availed, complaint in the SET script) instead of
re-evaluating every condition for each of 100,000 interviews.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from cati_app.core.questionnaire import PARAMETERS, Questionnaire, Scores, parse, to_100
from cati_app.core.questionnaire.navigation import is_unanswered, visible_items
from cati_app.core.questionnaire.scoring import composite_of, likert_value

#: what the Indicators sheet counts, in its column order ("" = no effective answer)
ANSWER_CODES: tuple[str, ...] = ("1", "2", "3", "4", "5", "dk", "ref", "")


class InterviewScorer:
    """Effective answers and scores for one questionnaire version."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.questionnaire = questionnaire
        read: set[str] = set()
        for item in questionnaire.items:
            if item.relevant is not None:
                read |= parse(item.relevant).references
        self._read = tuple(sorted(read))
        self.indicators = [(i.name, i.parameter or "") for i in questionnaire.indicators()]
        self._measured = [p for p in PARAMETERS if p in {p for _n, p in self.indicators}]
        self._relevant: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._roles: dict[str, str | None] = {}

    def item_with_role(self, role: str) -> str | None:
        """The name of the item with ``role`` (looked up once per version, not per interview)."""
        if role not in self._roles:
            item = self.questionnaire.with_role(role)
            self._roles[role] = item.name if item is not None else None
        return self._roles[role]

    def effective(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """As ``effective_answers``: answers to relevant items only, blanks left out."""
        key = tuple(_hashable(answers.get(name)) for name in self._read)
        relevant = self._relevant.get(key)
        if relevant is None:
            # relevance depends only on the answers the conditions read, so those decide it
            subset = {name: answers.get(name) for name in self._read}
            relevant = tuple(item.name for item in visible_items(self.questionnaire, subset)
                             if item.takes_answer)
            self._relevant[key] = relevant
        return {name: answers[name] for name in relevant
                if name in answers and not is_unanswered(answers[name])}

    def score(self, effective: Mapping[str, Any]) -> Scores:
        """As ``score``, from answers that are already effective."""
        values: dict[str, list[int]] = {p: [] for p in self._measured}
        for name, parameter in self.indicators:
            value = likert_value(effective.get(name))
            if value is not None:
                values[parameter].append(value)
        parameters = {p: (fmean(v) if v else None) for p, v in values.items()}
        composite = composite_of(self.questionnaire, parameters)
        return Scores(parameters, composite, to_100(composite))


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


@dataclass
class Mean:
    total: float = 0.0
    n: int = 0

    def add(self, value: float | None) -> None:
        if value is not None:
            self.total += value
            self.n += 1

    @property
    def value(self) -> float | None:
        return self.total / self.n if self.n else None


@dataclass
class ServiceTally:
    """What the Summary and Indicators sheets show for one service (or for all of them)."""

    completes: int = 0
    partials: int = 0
    parameters: dict[str, Mean] = field(default_factory=lambda: {p: Mean() for p in PARAMETERS})
    composite: Mean = field(default_factory=Mean)
    #: indicator name → counts of each code in ANSWER_CODES
    indicators: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, completion: str, scorer: InterviewScorer, effective: Mapping[str, Any],
            scores: Scores) -> None:
        if completion == "complete":
            self.completes += 1
        else:
            self.partials += 1
        for parameter, value in scores.parameters.items():
            self.parameters[parameter].add(value)
        self.composite.add(scores.composite)
        for name, _parameter in scorer.indicators:
            answer = effective.get(name)
            code = answer if answer in ANSWER_CODES else ""
            counts = self.indicators.get(name)
            if counts is None:  # not setdefault: that would build a Counter per answer
                counts = self.indicators[name] = Counter()
            counts[code] += 1

    def add_tally(self, other: ServiceTally) -> None:
        """Count ``other``'s interviews too (all services together = the sum of each one)."""
        self.completes += other.completes
        self.partials += other.partials
        for parameter, mean in other.parameters.items():
            self.parameters[parameter].total += mean.total
            self.parameters[parameter].n += mean.n
        self.composite.total += other.composite.total
        self.composite.n += other.composite.n
        for name, counts in other.indicators.items():
            self.indicators.setdefault(name, Counter()).update(counts)

    def satisfied(self, indicator: str) -> float | None:
        """Share of 4 or 5 among the 1–5 answers (Don't know and Refused are missing)."""
        counts = self.indicators.get(indicator, Counter())
        substantive = sum(counts[c] for c in ("1", "2", "3", "4", "5"))
        return (counts["4"] + counts["5"]) / substantive if substantive else None
