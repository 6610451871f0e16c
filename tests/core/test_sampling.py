"""The mathematics of a stratified draw (core.sampling): allocation, selection, π, replicates."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cati_app.core import sampling

SIZES = st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3),
                        st.integers(min_value=0, max_value=60), min_size=1, max_size=8)


@given(SIZES, st.integers(min_value=0, max_value=400),
       st.sampled_from(["proportional", "equal"]))
def test_allocations_sum_to_the_sample_size_and_respect_stratum_sizes(
        sizes: dict[str, int], n: int, how: str) -> None:
    weights = sampling.equal_weights(sizes) if how == "equal" else None
    allocated = sampling.allocate(sizes, n, weights)
    assert sum(allocated.values()) == min(n, sum(sizes.values()))
    assert all(0 <= allocated[k] <= sizes[k] for k in sizes)


@given(SIZES, st.integers(min_value=0, max_value=400))
def test_proportional_allocation_is_within_one_of_its_quota_when_nothing_is_capped(
        sizes: dict[str, int], n: int) -> None:
    total = sum(sizes.values())
    if total == 0 or n > total:
        return
    allocated = sampling.allocate(sizes, n)
    for key, size in sizes.items():
        assert abs(allocated[key] - n * size / total) < 1


def test_largest_remainder_and_the_surplus_of_a_full_stratum() -> None:
    # equal shares of 30 are 10 each; "a" holds only 2, so 28 go to b and c
    assert sampling.allocate({"a": 2, "b": 50, "c": 50}, 30,
                             sampling.equal_weights({"a": 0, "b": 0, "c": 0})) == {
        "a": 2, "b": 14, "c": 14}
    # 10 × (5, 3, 2)/10... quotas 3.33, 3.33, 3.33: one extra, to the first key on a tie
    assert sampling.allocate({"x": 5, "y": 5, "z": 5}, 10) == {"x": 4, "y": 3, "z": 3}
    assert sampling.allocate({"x": 5, "y": 0}, 3) == {"x": 3, "y": 0}


def test_needed_completes_follow_cochran_with_the_finite_population_correction() -> None:
    n0 = (sampling.Z95 * 1.0 / 0.2) ** 2  # 96.04
    assert sampling.needed_completes(10**6, 1.0, 0.2) == math.ceil(n0 / (1 + (n0 - 1) / 10**6))
    assert sampling.needed_completes(50, 1.0, 0.2) == 34  # 96.04 / (1 + 95.04/50) = 33.1
    assert sampling.needed_completes(3, 2.0, 0.01) == 3
    assert sampling.needed_completes(0, 1.0, 0.2) == 0


STRATA = {"a": list(range(0, 10)), "b": list(range(10, 30)), "c": list(range(30, 35))}


def test_the_same_seed_gives_the_same_sample_and_replicates() -> None:
    allocation = sampling.allocate({k: len(v) for k, v in STRATA.items()}, 12)
    first = sampling.select(STRATA, allocation, seed=42, replicates=3)
    # the units given in another order change nothing: they are sorted first
    shuffled = {k: list(reversed(v)) for k, v in reversed(STRATA.items())}
    assert sampling.select(shuffled, allocation, seed=42, replicates=3) == first
    assert sampling.select(STRATA, allocation, seed=43, replicates=3) != first


def test_a_known_seed_gives_a_known_sample() -> None:
    """Pinned: random.Random(seed).random() is promised stable across Python versions, so a
    draw made today can be redone by a later release of the server."""
    chosen = sampling.select({"s": list(range(10))}, {"s": 3}, seed=2026, replicates=2)
    assert [(c.unit, c.replicate) for c in chosen] == PINNED


PINNED = [(4, 1), (0, 2), (5, 1)]


def test_replicates_partition_the_sample_and_differ_in_size_by_at_most_one() -> None:
    allocation = sampling.allocate({k: len(v) for k, v in STRATA.items()}, 23)
    chosen = sampling.select(STRATA, allocation, seed=7, replicates=4)
    units = [c.unit for c in chosen]
    assert len(units) == len(set(units)) == 23
    sizes = Counter(c.replicate for c in chosen)
    assert set(sizes) == {1, 2, 3, 4} and max(sizes.values()) - min(sizes.values()) <= 1
    per_stratum = Counter(c.stratum for c in chosen)
    assert per_stratum == Counter({k: v for k, v in allocation.items() if v})


def test_inclusion_probabilities_match_the_selection_frequencies_over_many_draws() -> None:
    """Simulation: each unit's empirical selection frequency over R draws is within 4.5
    binomial SDs of its π (a false alarm has odds of about 1 in 150,000 per unit), and its
    chance of replicate 1 is π × the share of its stratum's sample dealt to replicate 1 (a
    fixed number: the dealing goes round the replicates across the strata)."""
    sizes = {k: len(v) for k, v in STRATA.items()}
    allocation = sampling.allocate(sizes, 13)
    runs = 4000
    hits: Counter[int] = Counter()
    in_first: Counter[int] = Counter()
    pi: dict[int, float] = {}
    for seed in range(runs):
        for c in sampling.select(STRATA, allocation, seed=seed, replicates=2):
            hits[c.unit] += 1
            in_first[c.unit] += c.replicate == 1
            pi[c.unit] = c.inclusion_probability
    dealt = sampling.select(STRATA, allocation, seed=0, replicates=2)
    first_share = {key: sum(1 for c in dealt if c.stratum == key and c.replicate == 1)
                   / allocation[key] for key in STRATA}
    for key, units in STRATA.items():
        expected = allocation[key] / sizes[key]
        for unit in units:
            assert pi[unit] == expected
            for count, p in ((hits[unit], expected), (in_first[unit], expected * first_share[key])):
                sd = math.sqrt(p * (1 - p) / runs)
                assert abs(count / runs - p) <= 4.5 * sd, (unit, count, p)


def test_bad_requests_are_refused() -> None:
    with pytest.raises(sampling.AllocationError):
        sampling.allocate({"a": 3}, -1)
    with pytest.raises(sampling.AllocationError):
        sampling.select({"a": [1]}, {"a": 2}, seed=1, replicates=1)
    with pytest.raises(sampling.AllocationError):
        sampling.select({"a": [1]}, {"a": 1}, seed=1, replicates=0)
    assert 0 <= sampling.new_seed() < 2**63
