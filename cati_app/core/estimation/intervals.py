"""Means and proportions with 95% intervals, from a survey-statistics library.

Every variance here is samplics' ``TaylorEstimator`` (Taylor linearisation of the ratio
estimator, stratified, each respondent its own primary sampling unit, no finite population
correction, Student t with n − H degrees of freedom); nothing is a hand-written variance
formula. With no weights (a plain call list) every weight is 1 and there are no strata, which
is exactly the simple-random-sampling interval: mean ± t(n−1) × s/√n.

Proportions get samplics' logit interval. A share of exactly 0 or 1 has no logit and a zero
linearised variance, so there the Clopper–Pearson interval from statsmodels is used, on the
Kish effective sample size when the figure is weighted.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from statsmodels.stats.proportion import proportion_confint


@cache
def _samplics() -> tuple[Any, Any]:
    """samplics' TaylorEstimator and PopParam, loaded at the first estimate: samplics brings
    polars and pyarrow with their thread pools, which the server (and the desktop tests' server
    in the same process as Qt) should not start until a scorecard is asked for."""
    with warnings.catch_warnings():
        # samplics announces its successor (svy) on import; the estimator itself is unchanged
        warnings.simplefilter("ignore", FutureWarning)
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam
    return TaylorEstimator, PopParam

ALPHA = 0.05
#: the stratum singleton strata are pooled into (a stratum needs two units for a variance)
COLLAPSED = "\x00collapsed"


@dataclass(frozen=True, slots=True)
class Interval:
    value: float
    low: float
    high: float
    #: the standard error, which comparisons between cells use
    se: float
    #: respondents with a value
    n: int


def mean_interval(values: Sequence[float | None], weights: Sequence[float] | None = None,
                  strata: Sequence[str] | None = None) -> Interval | None:
    """The (weighted) mean of the values that are not None, with its 95% interval; None when
    fewer than two respondents have a value (no variance can be estimated)."""
    kept = _kept(values, weights, strata)
    if kept is None:
        return None
    y, w, s = kept
    taylor, param = _samplics()
    estimator = taylor(param.mean, alpha=ALPHA)
    estimator.estimate(y=y, samp_weight=w, stratum=s)
    return Interval(float(estimator.point_est), float(estimator.lower_ci),
                    float(estimator.upper_ci), float(estimator.stderror), len(y))


def proportion_interval(flags: Sequence[bool | None], weights: Sequence[float] | None = None,
                        strata: Sequence[str] | None = None) -> Interval | None:
    """The (weighted) share of True among the flags that are not None, 0–1, with its 95%
    interval; None when fewer than two respondents have a flag."""
    numbers = [None if f is None else float(f) for f in flags]
    kept = _kept(numbers, weights, strata)
    if kept is None:
        return None
    y, w, s = kept
    share = float(np.sum(w * y) / np.sum(w))
    if share in (0.0, 1.0):
        return _exact_interval(share, w)
    taylor, param = _samplics()
    estimator = taylor(param.prop, alpha=ALPHA)
    estimator.estimate(y=y, samp_weight=w, stratum=s)
    return Interval(float(estimator.point_est[1.0]), float(estimator.lower_ci[1.0]),
                    float(estimator.upper_ci[1.0]), float(estimator.stderror[1.0]), len(y))


def kish_effective_n(weights: np.ndarray) -> float:
    """Kish's effective sample size (Σw)² / Σw²: n for equal weights."""
    return float(np.sum(weights) ** 2 / np.sum(weights ** 2))


def _exact_interval(share: float, w: np.ndarray) -> Interval:
    nobs = kish_effective_n(w)
    low, high = proportion_confint(share * nobs, nobs, alpha=ALPHA, method="beta")
    return Interval(share, float(low), float(high), 0.0, len(w))


def _kept(values: Sequence[float | None], weights: Sequence[float] | None,
          strata: Sequence[str] | None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """The rows with a value, as arrays; singleton strata pooled (see ``collapse``)."""
    rows = [i for i, v in enumerate(values) if v is not None]
    if len(rows) < 2:
        return None
    y = np.array([values[i] for i in rows], dtype=float)
    w = (np.ones(len(rows)) if weights is None
         else np.array([weights[i] for i in rows], dtype=float))
    if strata is None:
        return y, w, None
    return y, w, np.array(collapse([strata[i] for i in rows]), dtype=object)


def collapse(strata: Sequence[str]) -> list[str]:
    """Strata as given, except that strata with a single respondent are pooled into one
    (collapsing strata, the textbook remedy: one unit gives no within-stratum variance); a
    pool that still has one respondent joins the largest stratum."""
    sizes = Counter(strata)
    singles = {s for s, n in sizes.items() if n == 1}
    if not singles:
        return list(strata)
    target = COLLAPSED
    if len(singles) == 1:
        others = [s for s in sizes if s not in singles]
        target = max(others, key=lambda s: sizes[s]) if others else COLLAPSED
    return [target if s in singles else s for s in strata]
