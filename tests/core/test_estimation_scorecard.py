"""Periods, weights, small cells and flags of the pure scorecard (cati_app.core.estimation)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from cati_app.core.estimation import periods
from cati_app.core.estimation.compare import Comparison, benjamini_hochberg
from cati_app.core.estimation.design import (
    Respondent,
    SampledCase,
    final_weight,
    nonresponse_factors,
)
from cati_app.core.estimation.figures import Rules, figures
from cati_app.core.estimation.scorecard import ServiceInfo, build

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SERVICE = ServiceInfo(code="CID", name="New CID", agency="DCRC",
                      parameters=("accessibility",), indicators=("acc_info",),
                      weights={"accessibility": 1.0})


@pytest.mark.parametrize(("day", "fiscal_year", "quarter"), [
    (date(2026, 6, 30), "FY2025-26", "2026-Q2"),
    (date(2026, 7, 1), "FY2026-27", "2026-Q3"),
    (date(2000, 1, 1), "FY1999-00", "2000-Q1"),
    (date(2099, 12, 31), "FY2099-00", "2099-Q4"),
])
def test_the_fiscal_year_runs_july_to_june(day, fiscal_year, quarter):
    assert periods.period_of(day, "fiscal_year") == fiscal_year
    assert periods.period_of(day, "quarter") == quarter
    assert periods.period_of(day, "month") == f"{day.year:04d}-{day.month:02d}"


def test_previous_and_last_periods_cross_year_boundaries():
    assert periods.previous("2026-01", "month") == "2025-12"
    assert periods.previous("2026-Q1", "quarter") == "2025-Q4"
    assert periods.previous("FY2026-27", "fiscal_year") == "FY2025-26"
    assert periods.last_periods(date(2026, 7, 1), "fiscal_year", 2) == ["FY2025-26",
                                                                        "FY2026-27"]
    assert periods.last_periods(date(2026, 2, 3), "quarter", 3) == ["2025-Q3", "2025-Q4",
                                                                    "2026-Q1"]
    assert periods.first_day("FY2026-27", "fiscal_year") == date(2026, 7, 1)
    assert periods.first_day("2026-Q3", "quarter") == date(2026, 7, 1)
    assert periods.first_day("2026-11", "month") == date(2026, 11, 1)


def test_nonresponse_adjustment_within_strata():
    cases = [
        # stratum A: 4 sampled at π = 0.5 (weight 2): 2 respond, 1 never reached, 1 not eligible
        SampledCase("A", 0.5, eligible=True, responded=True),
        SampledCase("A", 0.5, eligible=True, responded=True),
        SampledCase("A", 0.5, eligible=True, responded=False),
        SampledCase("A", 0.5, eligible=False, responded=False),
        # stratum B: 2 sampled at π = 0.1, 1 responds; C: nobody responds (no factor)
        SampledCase("B", 0.1, eligible=True, responded=True),
        SampledCase("B", 0.1, eligible=True, responded=False),
        SampledCase("C", 0.2, eligible=True, responded=False),
    ]
    factors = nonresponse_factors(cases)
    assert factors == {"A": pytest.approx(6 / 4), "B": pytest.approx(2.0)}
    assert final_weight(0.5, "A", factors) == pytest.approx(3.0)  # 2 × 1.5
    assert final_weight(0.1, "B", factors) == pytest.approx(20.0)
    assert final_weight(None, "A", factors) is None


def _respondents(n: int, *, office: str = "Paro", composite: float = 4.0,
                 day: date = date(2026, 11, 5), weight: float | None = None,
                 spread: float = 0.5, seed: int = 1) -> list[Respondent]:
    rng = random.Random(seed)
    return [Respondent(service_code="CID", office=office, dzongkhag=office, day=day,
                       composite=min(5.0, max(1.0, composite + rng.uniform(-spread, spread))),
                       parameters={"accessibility": 4.0}, indicators={"acc_info": 4},
                       weight=weight, stratum=office if weight else None)
            for _ in range(n)]


@pytest.mark.parametrize(("n", "status"), [(9, "suppressed"), (10, "indicative"),
                                           (29, "indicative"), (30, "published")])
def test_small_cells_are_indicative_or_suppressed(n, status):
    found = figures(_respondents(n), ("accessibility",), ("acc_info",), Rules())
    assert found.n == n
    for estimate in (found.composite, found.composite_100, found.satisfied,
                     found.parameters["accessibility"], found.indicators["acc_info"]):
        assert estimate.status == status and estimate.n == n
        if status == "suppressed":
            assert (estimate.value, estimate.low, estimate.high) == (None, None, None)
        else:
            assert estimate.low <= estimate.value <= estimate.high
    assert (found.composite_interval is None) == (status == "suppressed")


def test_the_0_to_100_scale_is_the_composite_rescaled():
    found = figures(_respondents(40), ("accessibility",), ("acc_info",), Rules())
    c, c100 = found.composite, found.composite_100
    assert c100.value == pytest.approx((c.value - 1) * 25)
    assert (c100.low, c100.high) == (pytest.approx((c.low - 1) * 25),
                                     pytest.approx((c.high - 1) * 25))


def test_a_cell_is_weighted_only_when_every_respondent_has_a_weight():
    weighted = _respondents(20, weight=5.0)
    assert figures(weighted, (), (), Rules()).method == "weighted"
    mixed = weighted + _respondents(5, seed=2)
    assert figures(mixed, (), (), Rules()).method == "unweighted"


def test_benjamini_hochberg_steps_up_in_p_value_order():
    ps = [0.01, 0.04, 0.03, 0.005]
    tested = benjamini_hochberg([Comparison(i, 0.1, p) for i, p in enumerate(ps)], fdr=0.03)
    # sorted 0.005, 0.01, 0.03, 0.04 → q = min over the larger of p·m/rank: .02 .02 .04 .04
    assert [t.q_value for t in tested] == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # 0.01 passes though 0.01·4 = 0.04 > 0.03 (Bonferroni would refuse it): the step-up
    assert [t.significant for t in tested] == [True, False, False, True]


def _card(respondents, kind="quarter", shown=("2026-Q3", "2026-Q4")):
    return build(respondents, [SERVICE], kind=kind, periods=list(shown), rules=Rules(),
                 generated_at=NOW, agency="DCRC")


def test_a_clearly_different_office_is_flagged_and_noise_is_not():
    rows = (_respondents(40, office="Paro", composite=4.2, seed=1)
            + _respondents(40, office="Haa", composite=4.2, seed=2)
            + _respondents(40, office="Gasa", composite=4.15, seed=3)
            + _respondents(40, office="Mongar", composite=2.5, seed=4))
    card = _card(rows, shown=("2026-Q4",))
    cells = {c.office: c for c in card.cells}
    assert set(cells) == {"", "Gasa", "Haa", "Mongar", "Paro"}
    [flag] = cells["Mongar"].flags
    assert flag.kind == "below_peers" and flag.compared_with == "same service, other offices"
    assert flag.difference == pytest.approx(cells["Mongar"].composite.value - (
        sum(r.composite for r in rows if r.office != "Mongar") / 120))
    assert flag.q_value < 0.05
    # the others are above a pool that holds Mongar, but never below it
    assert all(f.kind == "above_peers" for o in ("Paro", "Haa", "Gasa") for f in cells[o].flags)
    assert card.methodology.minimum_n == 30 and "Benjamini" in card.methodology.comparisons


def test_offices_that_differ_only_by_noise_are_not_flagged():
    rows = [r for seed, office in enumerate(("Paro", "Haa", "Gasa", "Mongar", "Trongsa"))
            for r in _respondents(40, office=office, composite=3.8, spread=1.0, seed=seed)]
    card = _card(rows, shown=("2026-Q4",))
    assert len(card.cells) == 6
    assert [c.flags for c in card.cells] == [[]] * 6


def test_a_period_is_compared_with_the_previous_one_and_suppressed_cells_never():
    rows = (_respondents(40, office="Paro", composite=2.5, day=date(2026, 8, 1), seed=1)
            + _respondents(40, office="Paro", composite=4.5, day=date(2026, 11, 1), seed=2)
            + _respondents(5, office="Haa", composite=1.0, day=date(2026, 8, 1), seed=3)
            + _respondents(5, office="Haa", composite=5.0, day=date(2026, 11, 1), seed=4))
    card = _card(rows)
    cells = {(c.office, c.period): c for c in card.cells}
    kinds = {f.kind for f in cells[("Paro", "2026-Q4")].flags}
    assert "up_on_previous" in kinds
    assert [f.compared_with for f in cells[("Paro", "2026-Q4")].flags
            if f.kind == "up_on_previous"] == ["2026-Q3"]
    assert not cells[("Paro", "2026-Q3")].flags or all(
        f.kind.endswith("peers") for f in cells[("Paro", "2026-Q3")].flags)
    # Haa has 5 respondents a period: suppressed, never compared, nothing leaks
    for period in ("2026-Q3", "2026-Q4"):
        haa = cells[("Haa", period)]
        assert haa.composite.status == "suppressed" and haa.composite.value is None
        assert haa.flags == []


def test_composite_weights_are_printed_in_the_methodology():
    info = ServiceInfo(code="CID", name="x", agency="DCRC", parameters=("accessibility",
                                                                        "timeliness"),
                       indicators=(), weights={"accessibility": 3.0, "timeliness": 1.0})
    card = build([], [info], kind="month", periods=["2026-11"], rules=Rules(),
                 generated_at=NOW, agency=None)
    assert card.methodology.parameter_weights == {"accessibility": 0.75, "timeliness": 0.25}
    assert "mean, over respondents, of each respondent's own composite" in (
        card.methodology.composite_definition)
    [cell] = card.cells
    assert cell.n == 0 and cell.composite.status == "suppressed"

