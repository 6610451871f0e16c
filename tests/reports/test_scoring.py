"""The export's fast scorer gives exactly what cati_app.core.questionnaire gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cati_app.core.questionnaire import default_questionnaire, effective_answers, score
from cati_app.reports.scoring import InterviewScorer, ServiceTally

Q = default_questionnaire()
SCORER = InterviewScorer(Q)
ANSWER = st.sampled_from(["1", "2", "3", "4", "5", "dk", "ref", "", None, "yes", "no", 7])
ANSWERS = st.dictionaries(st.sampled_from([i.name for i in Q.items] + ["unknown"]), ANSWER)


@settings(max_examples=400, deadline=None)
@given(ANSWERS)
def test_same_effective_answers_and_scores_as_core(answers: dict) -> None:
    effective = SCORER.effective(answers)
    assert effective == effective_answers(Q, answers)
    assert SCORER.score(effective) == score(Q, answers)


def test_satisfied_counts_four_and_five_among_substantive_answers() -> None:
    tally = ServiceTally()
    for value in ("5", "4", "2", "dk", "ref"):
        answers = {"consent": "yes", "availed": "yes", "acc_info": value}
        effective = SCORER.effective(answers)
        tally.add("partial", SCORER, effective, SCORER.score(effective))
    assert tally.satisfied("acc_info") == 2 / 3
    assert tally.indicators["acc_info"]["dk"] == 1 and tally.partials == 5
    assert tally.satisfied("acc_reach") is None
