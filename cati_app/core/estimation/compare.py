"""Comparisons between cells, flagged only when significant after Benjamini–Hochberg.

Two cells compared here never share a respondent (an office against the same service's other
offices; a period against the one before), so the two estimates are independent and the
difference has standard error √(se₁² + se₂²), each se from the survey library
(``intervals``). The two-sided p-value is from the normal distribution (scipy); the
false-discovery-rate correction over every comparison of one scorecard is statsmodels'
``multipletests(method="fdr_bh")``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from scipy.stats import norm
from statsmodels.stats.multitest import multipletests

from cati_app.core.estimation.intervals import Interval

FDR = 0.05
K = TypeVar("K")


@dataclass(frozen=True, slots=True)
class Comparison(Generic[K]):
    """One comparison: ``key`` says what was compared (the caller's label)."""

    key: K
    difference: float
    p_value: float


@dataclass(frozen=True, slots=True)
class Tested(Generic[K]):
    comparison: Comparison[K]
    q_value: float
    significant: bool


def compare(key: K, cell: Interval, other: Interval) -> Comparison[K] | None:
    """``cell`` minus ``other`` with its two-sided p-value; None when neither figure has any
    sampling variance (nothing to test)."""
    se = math.hypot(cell.se, other.se)
    if se == 0:
        return None
    difference = cell.value - other.value
    return Comparison(key, difference, float(2 * norm.sf(abs(difference) / se)))


def benjamini_hochberg(comparisons: Sequence[Comparison[K]], fdr: float = FDR
                       ) -> list[Tested[K]]:
    """Each comparison with its BH-adjusted p-value (q) and whether it is a discovery at
    the given false discovery rate, over all of them together."""
    if not comparisons:
        return []
    reject, q_values, _, _ = multipletests([c.p_value for c in comparisons], alpha=fdr,
                                           method="fdr_bh")
    return [Tested(c, float(q), bool(r))
            for c, q, r in zip(comparisons, q_values, reject, strict=True)]
