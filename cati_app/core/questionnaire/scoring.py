"""SET scores and the interview's own outcome (DESIGN.md §3.5, outcome keys of §3.2).

Both work from ``effective_answers``: an answer to an item that is no longer relevant (the
enumerator went back and changed consent or "availed") neither scores nor counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean

from cati_app.core.questionnaire.model import PARAMETERS, SUBSTANTIVE, Questionnaire
from cati_app.core.questionnaire.navigation import Answers, effective_answers, skip_logic


@dataclass(frozen=True, slots=True)
class Scores:
    #: parameter → mean of its substantive indicator answers (1–5), None when it has none;
    #: only parameters the questionnaire measures, in PARAMETERS order
    parameters: dict[str, float | None]
    #: weighted mean of the parameter scores that exist, with the questionnaire's parameter
    #: weights (default: each parameter weighs the same, however many of its indicators
    #: were answered); see ``composite_of``
    composite: float | None
    composite_100: float | None


def to_100(score: float | None) -> float | None:
    """A 1–5 score on the 0–100 scale: (score − 1) / 4 × 100."""
    return None if score is None else (score - 1) / 4 * 100


def composite_of(q: Questionnaire, parameters: dict[str, float | None]) -> float | None:
    """One respondent's composite: the mean of their parameter scores weighted by the
    questionnaire's parameter weights, over the parameters they have a score for (the
    weights of the others are left out, so the rest still add up to the whole)."""
    present = [(q.weight_of(p), s) for p, s in parameters.items() if s is not None]
    total = sum(w for w, _s in present)
    return sum(w * s for w, s in present) / total if present else None


def likert_value(answer: object) -> int | None:
    """1–5 for a substantive indicator answer; None for Don't know, Refused or no answer."""
    return int(answer) if isinstance(answer, str) and answer in SUBSTANTIVE else None


def score(q: Questionnaire, answers: Answers) -> Scores:
    effective = effective_answers(q, answers)
    values: dict[str, list[int]] = {p: [] for p in PARAMETERS}
    measured: set[str] = set()
    for item in q.indicators():
        measured.add(item.parameter or "")
        value = likert_value(effective.get(item.name))
        if value is not None:
            values[item.parameter or ""].append(value)
    parameters = {p: (fmean(values[p]) if values[p] else None)
                  for p in PARAMETERS if p in measured}
    composite = composite_of(q, parameters)
    return Scores(parameters, composite, to_100(composite))


def completion(q: Questionnaire, answers: Answers) -> str:
    """The outcome key (cati_app.core.outcomes) the answers themselves imply.

    - consent "no" → ``hard_refusal``: declining consent at the greeting is a refusal. When
      the respondent only means "not now", the enumerator codes a soft refusal or an
      appointment with the outcome picker instead of answering "no".
    - availed "no" → ``not_user`` (not eligible: this person did not use the service).
    - every indicator has a response in its choice list (Don't know and Refused count) →
      ``complete``;
    - at least half of the indicators (5 of the 10) have a substantive 1–5 answer →
      ``partial``;
    - otherwise → ``break_off``.
    """
    effective = effective_answers(q, answers)
    for role, outcome in (("consent", "hard_refusal"), ("availed", "not_user")):
        item = q.with_role(role)
        if item is not None and effective.get(item.name) == "no":
            return outcome
    indicators = q.indicators()
    responded = substantive = 0
    choice_sets = skip_logic(q).choice_sets
    for item in indicators:
        answer = effective.get(item.name)
        if answer in choice_sets.get(item.choices or "", frozenset()):
            responded += 1
        if likert_value(answer) is not None:
            substantive += 1
    if responded == len(indicators):
        return "complete"
    # ceil(n / 2): 5 of the 10 SET indicators, and still "half" for a shorter script
    if substantive >= -(-len(indicators) // 2):
        return "partial"
    return "break_off"
