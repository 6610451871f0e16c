"""Parameter weights of the composite, set per questionnaire (issue 16; default equal)."""

from __future__ import annotations

import pytest

from cati_app.core.questionnaire import (
    QuestionnaireError,
    default_questionnaire,
    load_questionnaire,
    score,
)
from cati_app.reports.scoring import InterviewScorer


def _weighted(weights: dict[str, float]):
    definition = default_questionnaire().model_dump(mode="json")
    return load_questionnaire({**definition, "parameter_weights": weights})


def _answers(by_parameter: dict[str, str]) -> dict[str, str]:
    answers = {"consent": "yes", "availed": "yes", "complaint": "no"}
    for item in default_questionnaire().indicators():
        answers[item.name] = by_parameter.get(item.parameter or "", "dk")
    return answers


def test_equal_weights_by_default():
    answers = _answers({"accessibility": "5", "timeliness": "1", "attitude": "3",
                        "integrity": "3", "feedback": "3"})
    assert score(default_questionnaire(), answers).composite == pytest.approx(3.0)


def test_weights_shift_the_composite_and_missing_parameters_drop_their_weight():
    q = _weighted({"accessibility": 3, "timeliness": 1})  # the others weigh 1
    answers = _answers({"accessibility": "5", "timeliness": "1", "attitude": "3",
                        "integrity": "3", "feedback": "3"})
    expected = (3 * 5 + 1 * 1 + 3 + 3 + 3) / 7
    assert score(q, answers).composite == pytest.approx(expected)
    scorer = InterviewScorer(q)  # the fast scorer reports use gives the same
    assert scorer.score(scorer.effective(answers)).composite == pytest.approx(expected)
    # feedback all Don't know: its weight leaves the denominator too
    partial = _answers({"accessibility": "5", "timeliness": "1", "attitude": "3",
                        "integrity": "3"})
    assert score(q, partial).composite == pytest.approx((15 + 1 + 3 + 3) / 6)


@pytest.mark.parametrize(("weights", "problem"), [
    ({"speed": 1}, "unknown parameter 'speed'"),
    ({"integrity": 0}, "the weight of 'integrity' must be above 0"),
])
def test_bad_weights_are_refused_with_the_reason(weights, problem):
    with pytest.raises(QuestionnaireError, match=problem):
        _weighted(weights)


def test_a_questionnaire_without_weights_is_sent_as_the_release_before_reads_it() -> None:
    # desktops of the release before parameter_weights refuse unknown fields (extra="forbid"),
    # so the field appears in a definition only when a questionnaire sets weights
    plain = default_questionnaire()
    assert "parameter_weights" not in plain.model_dump(mode="json")
    weighted = plain.model_copy(update={"parameter_weights": {"integrity": 2.0}})
    assert weighted.model_dump(mode="json")["parameter_weights"] == {"integrity": 2.0}
    assert load_questionnaire(weighted.model_dump(mode="json")).weight_of("integrity") == 2.0
