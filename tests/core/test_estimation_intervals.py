"""The intervals checked against independent calculations: scipy's t quantiles with the
textbook formulas computed here with numpy, never through samplics itself."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest
from scipy import stats

from cati_app.core.estimation.intervals import (
    collapse,
    kish_effective_n,
    mean_interval,
    proportion_interval,
)


def test_an_unweighted_mean_is_the_simple_random_sampling_t_interval():
    values = [4.0, 3.5, 5.0, 2.0, 4.5, 3.0, 4.0, 4.2, 3.8, 1.5, 5.0, 4.4]
    n = len(values)
    mean = statistics.fmean(values)
    half = stats.t.ppf(0.975, n - 1) * statistics.stdev(values) / math.sqrt(n)
    found = mean_interval(values)
    assert found is not None
    assert found.n == n
    assert found.value == pytest.approx(mean)
    assert (found.low, found.high) == (pytest.approx(mean - half), pytest.approx(mean + half))


def test_missing_values_are_left_out_and_two_are_needed_for_an_interval():
    assert mean_interval([None, 3.0, None]) is None
    found = mean_interval([None, 3.0, 5.0, None])
    assert found is not None and found.n == 2 and found.value == 4.0


def test_a_stratified_weighted_mean_matches_the_textbook_taylor_variance():
    """Ratio mean Σwy/Σw; linearised values z = w(y − ȳ)/Σw; variance
    Σ_h n_h/(n_h − 1) Σ_i (z_hi − z̄_h)² (with replacement, no fpc); t with n − H df
    (Wolter, Introduction to Variance Estimation, ch. 6; Lohr, Sampling, §9.1)."""
    rng = np.random.default_rng(16)
    strata = np.array(["a"] * 7 + ["b"] * 9 + ["c"] * 5)
    y = rng.integers(1, 6, strata.size).astype(float)
    w = np.where(strata == "a", 3.0, np.where(strata == "b", 10.0, 25.0))
    w = w * rng.uniform(0.8, 1.3, strata.size)  # nonresponse factors vary the weights a bit
    mean = float(np.sum(w * y) / np.sum(w))
    z = w * (y - mean) / np.sum(w)
    variance = 0.0
    for h in np.unique(strata):
        zh = z[strata == h]
        variance += zh.size / (zh.size - 1) * float(np.sum((zh - zh.mean()) ** 2))
    half = stats.t.ppf(0.975, strata.size - 3) * math.sqrt(variance)

    found = mean_interval(list(y), list(w), list(strata))
    assert found is not None
    assert found.value == pytest.approx(mean)
    assert found.se == pytest.approx(math.sqrt(variance))
    assert (found.low, found.high) == (pytest.approx(mean - half), pytest.approx(mean + half))


def test_a_proportion_gets_the_logit_interval():
    flags = [True] * 23 + [False] * 9
    n, p = len(flags), 23 / 32
    se = math.sqrt(p * (1 - p) / (n - 1))  # the linearised variance with equal weights
    t = stats.t.ppf(0.975, n - 1)
    logit = math.log(p / (1 - p))
    expit = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    found = proportion_interval(flags)
    assert found is not None
    assert found.value == pytest.approx(p)
    assert found.low == pytest.approx(expit(logit - t * se / (p * (1 - p))))
    assert found.high == pytest.approx(expit(logit + t * se / (p * (1 - p))))


def test_a_share_of_all_or_nothing_gets_the_clopper_pearson_interval():
    found = proportion_interval([True] * 12)
    assert found is not None
    assert found.value == 1.0 and found.high == pytest.approx(1.0)
    assert found.low == pytest.approx(stats.beta.ppf(0.025, 12, 1))
    none = proportion_interval([False] * 12)
    assert none is not None
    assert none.low == pytest.approx(0.0)
    assert none.high == pytest.approx(stats.beta.ppf(0.975, 1, 12))


def test_kish_effective_n():
    assert kish_effective_n(np.ones(9)) == pytest.approx(9)
    assert kish_effective_n(np.array([1.0, 3.0])) == pytest.approx(16 / 10)


def test_singleton_strata_are_pooled():
    assert collapse(["a", "a", "b", "c"]) == ["a", "a", "\x00collapsed", "\x00collapsed"]
    # a single singleton joins the largest stratum
    assert collapse(["a", "a", "a", "b", "b", "c"]) == ["a", "a", "a", "b", "b", "a"]
    assert collapse(["a", "a"]) == ["a", "a"]


def test_a_cell_with_a_singleton_stratum_is_still_estimated():
    found = mean_interval([3.0, 4.0, 5.0, 2.0], [1.0, 1.0, 2.0, 2.0], ["a", "a", "a", "b"])
    assert found is not None and found.n == 4
