"""AAPOR rates (DESIGN.md §3.2), starting from the public outcomerate README worked example."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cati_app.core.rates import COUNT_KEYS, RATE_FORMULAS, aapor_rates, eligibility_rate

EXAMPLE = {"I": 4, "P": 2, "R": 1, "NC": 1, "O": 1, "UH": 1, "UO": 1, "NE": 1}
EXAMPLE_RATES = {
    "RR1": 4 / 11, "RR2": 6 / 11, "RR3": 10 / 27, "RR4": 5 / 9, "RR5": 4 / 9, "RR6": 2 / 3,
    "COOP1": 1 / 2, "COOP2": 3 / 4, "COOP3": 4 / 7, "COOP4": 6 / 7,
    "REF1": 1 / 11, "REF2": 1 / 10.8, "REF3": 1 / 9,
    "CON1": 8 / 11, "CON2": 8 / 10.8, "CON3": 8 / 9,
}  # fmt: skip
ALL_RATES = set(RATE_FORMULAS)
E_DEPENDENT = {"RR3", "RR4", "REF2", "CON2"}


def test_worked_example_with_estimated_e():
    assert eligibility_rate(EXAMPLE) == pytest.approx(0.9)
    assert aapor_rates(EXAMPLE) == pytest.approx(EXAMPLE_RATES)


def test_worked_example_with_e_given_as_the_same_number_or_per_class():
    assert aapor_rates(EXAMPLE, 0.9) == pytest.approx(EXAMPLE_RATES)
    assert aapor_rates(EXAMPLE, {"UH": 0.9, "UR": 0.9, "UO": 0.9}) == pytest.approx(EXAMPLE_RATES)


def test_returns_exactly_the_sixteen_rates_with_documented_formulas():
    assert set(aapor_rates(EXAMPLE)) == ALL_RATES
    assert len(ALL_RATES) == 16


def test_proportional_e_is_eligible_over_known_eligibility():
    counts = {"I": 3, "NC": 1, "NE": 4, "UH": 10}
    assert eligibility_rate(counts) == pytest.approx(0.5)
    # RR3 = I / (I + NC + e*UH) = 3 / (4 + 5)
    assert aapor_rates(counts)["RR3"] == pytest.approx(3 / 9)


def test_explicit_e_overrides_the_estimate():
    counts = {"I": 3, "NC": 1, "NE": 4, "UH": 10}
    assert aapor_rates(counts, 0.2)["RR3"] == pytest.approx(3 / 6)
    assert aapor_rates(counts, 0)["RR3"] == pytest.approx(aapor_rates(counts)["RR5"])
    assert aapor_rates(counts, 1)["RR3"] == pytest.approx(aapor_rates(counts)["RR1"])


def test_per_class_e_weights_each_unknown_class():
    counts = {"I": 2, "R": 2, "UH": 10, "UR": 10, "UO": 10}
    rates = aapor_rates(counts, {"UH": 0.1, "UR": 0.2, "UO": 0.5})
    # denominator 4 + 1 + 2 + 5 = 12
    assert rates["RR3"] == pytest.approx(2 / 12)
    assert rates["REF2"] == pytest.approx(2 / 12)
    assert rates["CON2"] == pytest.approx(4 / 12)


def test_ur_is_part_of_the_unknown_term():
    rates = aapor_rates({"I": 1, "UR": 3}, 0.5)
    assert rates["RR1"] == pytest.approx(1 / 4)
    assert rates["RR3"] == pytest.approx(1 / 2.5)
    assert rates["RR5"] == pytest.approx(1.0)


def test_per_class_e_missing_classes_use_the_proportional_estimate():
    counts = {"I": 1, "NE": 1, "UH": 2, "UO": 2}  # proportional e = 1/2
    rates = aapor_rates(counts, {"UH": 0})
    assert rates["RR3"] == pytest.approx(1 / (1 + 0 + 0.5 * 2))


def test_not_estimable_e_makes_only_e_rates_not_computable():
    # no case of known eligibility: e cannot be estimated, yet RR1 is defined
    rates = aapor_rates({"UH": 5})
    assert eligibility_rate({"UH": 5}) is None
    assert rates["RR1"] == 0
    assert all(rates[name] is None for name in E_DEPENDENT)
    assert aapor_rates({"UH": 5}, 0.5)["RR3"] == 0


def test_not_estimable_e_is_harmless_for_empty_unknown_classes():
    # no known-eligibility case: the default for UR/UO cannot be estimated, but they are empty
    rates = aapor_rates({"UH": 2}, {"UH": 0.5})
    assert rates["RR3"] == 0
    assert aapor_rates({"UH": 2, "UO": 1}, {"UH": 0.5})["RR3"] is None


@pytest.mark.parametrize(
    ("counts", "not_computable"),
    [
        ({"NE": 3}, ALL_RATES),
        ({"UH": 2}, {"RR5", "RR6", "REF3", "CON3", "COOP1", "COOP2", "COOP3", "COOP4"}),
        ({"NC": 2}, {"COOP1", "COOP2", "COOP3", "COOP4"}),
        ({"O": 2}, {"COOP3", "COOP4"}),
    ],
    ids=["only-not-eligible", "only-unknown", "only-non-contact", "only-other"],
)
def test_zero_denominators_give_none_and_only_there(counts, not_computable):
    rates = aapor_rates(counts, 0.5)
    assert {name for name, value in rates.items() if value is None} == not_computable


@pytest.mark.parametrize("e", [None, 0.0, 1.0, {"UH": 0.3}])
def test_all_zero_counts_give_none_everywhere(e):
    assert all(v is None for v in aapor_rates({}, e).values())
    assert all(v is None for v in aapor_rates(dict.fromkeys(COUNT_KEYS, 0), e).values())
    assert eligibility_rate({}) is None


def test_e_of_zero_with_only_unknowns_is_none_not_zero():
    rates = aapor_rates({"UH": 4}, 0)
    assert all(rates[name] is None for name in E_DEPENDENT)


def test_counts_may_be_weighted_totals_of_any_numeric_type():
    counts = {
        "I": Decimal("4"),
        "P": Fraction(2),
        "R": 1.0,
        "NC": 1,
        "O": 1,
        "UH": 1,
        "UO": 1,
        "NE": 1,
    }
    assert aapor_rates(counts) == pytest.approx(EXAMPLE_RATES)


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"X": 1}, "unknown count keys"),
        ({"I": -1}, "negative"),
        ({"I": math.nan}, "finite"),
        ({"I": math.inf}, "finite"),
        ({"I": "3"}, "number"),
        ({"I": True}, "number"),
    ],
)
def test_bad_counts_are_rejected(counts, message):
    with pytest.raises(ValueError, match=message):
        aapor_rates(counts)
    with pytest.raises(ValueError, match=message):
        eligibility_rate(counts)


@pytest.mark.parametrize(
    ("e", "message"),
    [
        (1.5, r"\[0, 1\]"),
        (-0.1, "negative"),
        (math.nan, "finite"),
        ({"UX": 0.5}, "unknown e classes"),
        ({"UH": 2}, r"\[0, 1\]"),
    ],
)
def test_bad_e_is_rejected(e, message):
    with pytest.raises(ValueError, match=message):
        aapor_rates(EXAMPLE, e)


# -- properties -----------------------------------------------------------------------------

counts_st = st.dictionaries(
    st.sampled_from(COUNT_KEYS), st.integers(min_value=0, max_value=10_000), max_size=9
)
e_st = st.one_of(
    st.none(),
    st.floats(min_value=0, max_value=1),
    st.dictionaries(st.sampled_from(["UH", "UR", "UO"]), st.floats(min_value=0, max_value=1)),
)

# (smaller, larger): each pair shares a numerator, or a denominator, and e <= 1
ORDERED = [
    ("RR1", "RR2"), ("RR3", "RR4"), ("RR5", "RR6"),
    ("RR1", "RR3"), ("RR3", "RR5"), ("RR2", "RR4"), ("RR4", "RR6"),
    ("COOP1", "COOP2"), ("COOP3", "COOP4"), ("COOP1", "COOP3"), ("COOP2", "COOP4"),
    ("REF1", "REF2"), ("REF2", "REF3"),
    ("CON1", "CON2"), ("CON2", "CON3"),
    ("RR2", "CON1"), ("RR4", "CON2"), ("RR6", "CON3"),
]  # fmt: skip


def same(a: float | None, b: float | None) -> bool:
    return a == b


@given(counts_st, e_st)
def test_every_rate_is_none_or_a_proportion(counts, e):
    for name, value in aapor_rates(counts, e).items():
        assert value is None or 0 <= value <= 1, (name, value)


@given(counts_st, e_st)
def test_rates_keep_their_order_where_defined(counts, e):
    rates = aapor_rates(counts, e)
    for low, high in ORDERED:
        if not (rates[low] is None or rates[high] is None):
            assert rates[low] <= rates[high], (low, high, rates)


@given(counts_st, e_st, st.integers(min_value=1, max_value=1000))
def test_rates_do_not_change_when_all_counts_scale(counts, e, k):
    scaled = {key: value * k for key, value in counts.items()}
    before, after = aapor_rates(counts, e), aapor_rates(scaled, e)
    assert all(same(before[name], after[name]) for name in ALL_RATES)
    assert same(eligibility_rate(counts), eligibility_rate(scaled))


@given(counts_st)
def test_rates_without_e_match_those_with_e_missing_from_every_class(counts):
    assert all(
        same(a, b)
        for a, b in zip(aapor_rates(counts).values(), aapor_rates(counts, {}).values(), strict=True)
    )
