"""Parameter and composite scores, and the outcome the answers imply."""

from __future__ import annotations

import pytest

from cati_app.core.outcomes import BY_KEY
from cati_app.core.questionnaire import completion, default_questionnaire, score, to_100

INDICATORS = ["acc_info", "acc_reach", "time_wait", "time_turnaround", "att_welcome",
              "att_courtesy", "int_fair", "int_payment", "fb_channels", "fb_willing"]
USER = {"consent": "yes", "availed": "yes"}


@pytest.fixture
def q():
    return default_questionnaire()


def rated(**values: str) -> dict[str, str]:
    return {**USER, **values}


def test_parameter_scores_and_composite(q) -> None:
    answers = rated(acc_info="5", acc_reach="3", time_wait="2", time_turnaround="2",
                    att_welcome="4", att_courtesy="5", int_fair="1", int_payment="1",
                    fb_channels="3", fb_willing="4")
    scores = score(q, answers)
    assert scores.parameters == {"accessibility": 4.0, "timeliness": 2.0, "attitude": 4.5,
                                 "integrity": 1.0, "feedback": 3.5}
    assert scores.composite == pytest.approx(3.0)
    assert scores.composite_100 == pytest.approx(50.0)


def test_dont_know_and_refused_are_missing_not_zero(q) -> None:
    scores = score(q, rated(acc_info="4", acc_reach="dk", time_wait="ref", time_turnaround="2"))
    assert scores.parameters["accessibility"] == 4.0  # not (4 + 0) / 2
    assert scores.parameters["timeliness"] == 2.0


def test_empty_parameters_are_none_and_left_out_of_the_composite(q) -> None:
    scores = score(q, rated(acc_info="5", acc_reach="5", int_fair="2", int_payment="dk"))
    assert scores.parameters == {"accessibility": 5.0, "timeliness": None, "attitude": None,
                                 "integrity": 2.0, "feedback": None}
    # composite is the mean of parameter scores (5 and 2), each parameter weighing the same
    assert scores.composite == pytest.approx(3.5)
    assert scores.composite_100 == pytest.approx(62.5)


def test_parameters_weigh_equally_however_many_indicators_answered(q) -> None:
    scores = score(q, rated(acc_info="5", time_wait="1", time_turnaround="1"))
    assert scores.composite == pytest.approx(3.0)  # mean of 5 and 1, not of 5, 1, 1


def test_nothing_answered_scores_none(q) -> None:
    scores = score(q, rated(acc_info="dk"))
    assert scores.composite is None and scores.composite_100 is None
    assert set(scores.parameters.values()) == {None}


def test_stale_ratings_do_not_score(q) -> None:
    answers = rated(**{name: "5" for name in INDICATORS})
    answers["availed"] = "no"
    assert score(q, answers).composite is None


@pytest.mark.parametrize(("value", "scaled"), [(1, 0.0), (2, 25.0), (3, 50.0), (5, 100.0),
                                               (None, None)])
def test_to_100(value, scaled) -> None:
    assert to_100(value) == scaled


def _answers(substantive: int, dk: int = 0) -> dict[str, str]:
    values = ["4"] * substantive + ["dk"] * dk
    return rated(**dict(zip(INDICATORS, values, strict=False)))


def test_all_ten_answered_is_complete(q) -> None:
    assert completion(q, _answers(10)) == "complete"


def test_all_ten_with_dont_know_and_refused_is_complete(q) -> None:
    answers = _answers(4, dk=5)
    answers["fb_willing"] = "ref"
    assert completion(q, answers) == "complete"
    assert completion(q, _answers(0, dk=10)) == "complete"


def test_exactly_five_substantive_is_partial(q) -> None:
    assert completion(q, _answers(5)) == "partial"
    assert completion(q, _answers(5, dk=4)) == "partial"  # nine responses, five substantive


def test_four_substantive_is_a_break_off(q) -> None:
    assert completion(q, _answers(4)) == "break_off"
    assert completion(q, _answers(4, dk=5)) == "break_off"  # dk does not reach "partial"


def test_nothing_answered_is_a_break_off(q) -> None:
    assert completion(q, {}) == "break_off"
    assert completion(q, {"consent": "yes"}) == "break_off"


def test_not_a_user(q) -> None:
    assert completion(q, {"consent": "yes", "availed": "no"}) == "not_user"


def test_consent_declined_is_a_hard_refusal(q) -> None:
    assert completion(q, {"consent": "no"}) == "hard_refusal"
    # stale ratings from before consent was changed to "no" do not turn it into a complete
    answers = _answers(10)
    answers["consent"] = "no"
    assert completion(q, answers) == "hard_refusal"


def test_completion_returns_outcome_keys(q) -> None:
    cases = [_answers(10), _answers(5), _answers(0), {"consent": "no"},
             {"consent": "yes", "availed": "no"}]
    assert {completion(q, a) for a in cases} <= set(BY_KEY)
