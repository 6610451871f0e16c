"""The mathematics of a stratified draw (issue 15, DESIGN.md §9.1), without any database:
allocation of a sample size to strata, seeded selection, inclusion probabilities and the
random partition of the sample into replicates.

Reproducibility: everything random comes from one ``random.Random(seed)`` and only from its
``random()`` method, the one the Python documentation promises will give the same sequence for
the same seed in every version. The strata are visited in sorted key order and the units of a
stratum in ascending id order, so the same eligible units, allocation and seed give exactly the
same sample and the same replicates on any machine.

Selection is simple random sampling without replacement within each stratum, done as a
"random sort": every eligible unit gets a uniform key and the ``n_h`` smallest keys are taken.
Each unit of stratum h is then selected with probability ``π_h = n_h / N_h`` (N_h the eligible
units), and its design weight is ``1 / π_h``. The keys of the selected units are also in a
uniformly random order, which deals them into replicates: the k-th selected unit of the draw
(strata in key order, units by key) goes to replicate ``k mod R + 1``, so replicates are random
sub-samples of every stratum and differ in size by at most one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

#: the 97.5% quantile of the standard normal: the half-width of a 95% interval is Z95 × SE
Z95: Final = 1.959963984540054
#: the standard deviation of a respondent's 1–5 composite assumed for a stratum without a
#: previous period to learn from (fewer than MIN_VARIANCE_N scored interviews). The composite
#: averages ten items, so its spread is well under the single-item maximum of 2; SET pilot
#: data and Likert composites generally show 0.6–0.9. 1.0 is on the safe (larger) side.
DEFAULT_COMPOSITE_SD: Final = 1.0
#: scored interviews a stratum needs before its own previous-period variance is used
MIN_VARIANCE_N: Final = 10
#: why a frame row is not eligible, in the order they are tested (the first that applies is
#: the row's one reason): a row outside the period or without a number is not in the
#: population that can be called at all; then the person's own wish (do-not-call); then the
#: same visit already sampled or called; then a recent contact for another visit
EXCLUSION_ORDER: Final = ("outside_period", "no_valid_phone", "do_not_call", "duplicate_visit",
                          "recently_contacted")


class AllocationError(ValueError):
    """An allocation that cannot be made (the message says what to change)."""


def allocate(sizes: Mapping[str, int], n: int, weights: Mapping[str, float] | None = None
             ) -> dict[str, int]:
    """``n`` units shared among strata of ``sizes`` eligible units in proportion to
    ``weights`` (default: the sizes, i.e. proportional allocation). The result sums exactly to
    ``min(n, sum(sizes))`` and never gives a stratum more than its size: a stratum whose share
    would pass its size gets all of it and the surplus is shared again among the others.
    Fractions are rounded by largest remainder (ties: the stratum key), in exact arithmetic so
    the result is the same on every machine."""
    if n < 0:
        raise AllocationError("the sample size cannot be negative")
    wanted = {key: Fraction(weights[key] if weights is not None else size)
              for key, size in sizes.items() if size > 0}
    if any(weight < 0 for weight in wanted.values()):
        raise AllocationError("allocation weights cannot be negative")
    total = min(n, sum(sizes[key] for key in wanted))
    result = {key: 0 for key in sizes}
    open_keys = set(wanted)
    remaining = total
    while open_keys and remaining > 0:
        weight_sum = sum(wanted[key] for key in open_keys)
        if weight_sum == 0:  # nothing to go by: share what is left equally
            for key in open_keys:
                wanted[key] = Fraction(1)
            weight_sum = Fraction(len(open_keys))
        quotas = {key: remaining * wanted[key] / weight_sum for key in open_keys}
        capped = {key for key in open_keys if quotas[key] >= sizes[key]}
        if not capped:
            _largest_remainder(quotas, remaining, result)
            return result
        for key in capped:  # full strata, and the rest is shared again
            result[key] = sizes[key]
            remaining -= sizes[key]
        open_keys -= capped
    return result


def _largest_remainder(quotas: Mapping[str, Fraction], total: int, into: dict[str, int]
                       ) -> None:
    floors = {key: math.floor(q) for key, q in quotas.items()}
    short = total - sum(floors.values())
    by_remainder = sorted(quotas, key=lambda key: (-(quotas[key] - floors[key]), key))
    for key in by_remainder[:short]:
        floors[key] += 1
    into.update(floors)


def equal_weights(sizes: Mapping[str, int]) -> dict[str, float]:
    return {key: 1.0 for key in sizes}


def needed_completes(size: int, sd: float, margin: float) -> int:
    """Completes a stratum of ``size`` units needs for its mean to have a 95% interval of
    ±``margin``: n0 = (z·S/e)², with the finite population correction n0 / (1 + (n0 − 1)/N)
    (Cochran 1977, §4.4); at least 1 and at most the stratum's size."""
    if size <= 0:
        return 0
    n0 = (Z95 * sd / margin) ** 2
    return max(1, min(size, math.ceil(n0 / (1 + (n0 - 1) / size))))


@dataclass(frozen=True, slots=True)
class Selected:
    unit: int
    stratum: str
    inclusion_probability: float
    replicate: int


def select(strata: Mapping[str, Sequence[int]], allocation: Mapping[str, int], *, seed: int,
           replicates: int) -> list[Selected]:
    """Draw ``allocation[key]`` of the unit ids ``strata[key]`` in every stratum and deal the
    sample into ``replicates`` replicates (see the module's note). Every eligible unit takes
    one number from the generator, sampled or not, so a stratum's selection does not depend
    on the other strata's allocations."""
    if replicates < 1:
        raise AllocationError("a draw needs at least one replicate")
    rng = random.Random(seed)
    dealt = 0
    chosen: list[Selected] = []
    for key in sorted(strata):
        units = sorted(strata[key])
        keyed = sorted((rng.random(), unit) for unit in units)
        n_h = allocation.get(key, 0)
        if n_h > len(units):
            raise AllocationError(f"stratum {key}: {n_h} allocated, only {len(units)} units")
        if n_h == 0:
            continue
        probability = n_h / len(units)
        for _key, unit in keyed[:n_h]:
            chosen.append(Selected(unit, key, probability, dealt % replicates + 1))
            dealt += 1
    return chosen


def new_seed() -> int:
    """A seed for a draw that was given none (recorded with the draw, so it can be redone)."""
    return random.SystemRandom().randrange(2**63)
