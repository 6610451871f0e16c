"""Respondents and their weights (issue 16, DESIGN.md §9.2).

A case drawn from a frame carries its inclusion probability π and its stratum; its design
weight is 1/π. Respondents' weights are then adjusted for nonresponse within weighting classes,
which are the strata: in each stratum the design weights of the respondents are scaled up so
that they add up to the design weights of every eligible sampled case,

    factor(h) = Σ 1/π over eligible sampled cases of h / Σ 1/π over respondents of h.

Eligible sampled cases: every case of the stratum except those whose disposition is not
eligible (AAPOR 4.x: not a user of the service, duplicate). Cases whose eligibility is unknown
(never reached: 3.x, or not yet called) count as eligible, as every sampled person availed the
service (a list sample of service users, DESIGN.md §3.2); this is the conservative choice
(e = 1). Respondents: cases with a primary complete interview.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

#: a respondent is "satisfied" when their composite is at least this (4 = Good on the 1–5
#: scale: on average Good or Very good over the parameters)
SATISFIED_FROM = 4.0


@dataclass(frozen=True, slots=True)
class SampledCase:
    """What the nonresponse adjustment needs of one case drawn from a frame."""

    stratum: str
    inclusion_probability: float
    eligible: bool
    responded: bool


@dataclass(frozen=True, slots=True)
class Respondent:
    """One primary complete interview, with nothing that identifies the person."""

    service_code: str
    office: str
    dzongkhag: str
    #: the day that decides the reporting period (the day the service was availed)
    day: date
    composite: float | None
    parameters: Mapping[str, float | None] = field(default_factory=dict)
    #: indicator item name -> the 1–5 answer, None for Don't know, Refused or no answer
    indicators: Mapping[str, int | None] = field(default_factory=dict)
    #: the final weight (design × nonresponse); None: not drawn from a frame
    weight: float | None = None
    stratum: str | None = None

    @property
    def satisfied(self) -> bool | None:
        return None if self.composite is None else self.composite >= SATISFIED_FROM


def nonresponse_factors(cases: Iterable[SampledCase]) -> dict[str, float]:
    """Stratum -> the factor respondents' design weights are multiplied by. A stratum without
    respondents has no factor (it has no one to carry its weight)."""
    eligible: dict[str, float] = defaultdict(float)
    responded: dict[str, float] = defaultdict(float)
    for case in cases:
        design = 1.0 / case.inclusion_probability
        if case.eligible or case.responded:  # a respondent is eligible, whatever else
            eligible[case.stratum] += design
        if case.responded:
            responded[case.stratum] += design
    return {s: eligible[s] / total for s, total in responded.items() if total > 0}


def final_weight(inclusion_probability: float | None, stratum: str | None,
                 factors: Mapping[str, float]) -> float | None:
    """1/π × the stratum's nonresponse factor; None without π (an unweighted respondent)."""
    if inclusion_probability is None or not inclusion_probability > 0:
        return None
    factor = factors.get(stratum or "", 1.0)
    return factor / inclusion_probability
