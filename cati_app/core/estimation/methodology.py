"""The methodology notes every scorecard and agency workbook carries, in plain words."""

from __future__ import annotations

from collections.abc import Mapping

from cati_app.core.estimation.design import SATISFIED_FROM
from cati_app.core.estimation.figures import Rules
from cati_app.core.protocol_scorecard import Methodology

COMPOSITE_DEFINITION = (
    "Composite score: the mean, over respondents, of each respondent's own composite. A "
    "respondent's composite is the weighted mean of their parameter scores (weights below; "
    "parameters they gave no 1–5 answer for are left out and the other weights still add up "
    "to the whole); a parameter score is the mean of its answered indicators on the 1–5 scale "
    "(Don't know and Refused are missing). The 0–100 figure is the same composite rescaled: "
    "(composite − 1) × 25. This is not the composite of the parameter means, which can differ "
    "slightly; only this one composite is reported.")

SATISFIED_DEFINITION = (
    f"Satisfied: a respondent whose composite is {SATISFIED_FROM:g} (Good) or more, i.e. "
    "Good or Very good on average over the parameters.")

WEIGHTING = (
    "Cases drawn from a frame: design weight 1/π (π the case's inclusion probability), "
    "adjusted for nonresponse within its stratum (the weighting class): respondents' design "
    "weights are scaled to add up to those of all eligible sampled cases of the stratum "
    "(eligible: every case except those coded not eligible, AAPOR 4.x; cases never reached "
    "count as eligible). Such cells are 'weighted': means and shares are weighted and their "
    "variances come from Taylor linearisation for the stratified design (samplics "
    "TaylorEstimator; strata with a single respondent in a cell are pooled). Cells with any "
    "respondent from a plain call list (no π) are 'unweighted': plain means and shares with "
    "simple-random-sampling intervals. Each cell is estimated from its own respondents. "
    "Intervals are 95%: Student t for means, logit for shares (Clopper–Pearson when a share "
    "is 0% or 100%). Only primary complete interviews count; the period is the one in which "
    "the respondent availed the service.")


COMPLAINTS = (
    "The complaint tickets reported in the period (by the day the complaint was "
    "made, not the day the service was availed, so a period's complaints are known as soon "
    "as they arrive), per office and for the service as a whole. Resolved: the share of "
    "those tickets resolved now (a reopened ticket is not, until resolved again). Median "
    "days to resolve: over the resolved ones, from the ticket's opening to its resolution. "
    "Complaint call-backs are not complaints and have no scores: their services (code "
    "ending -FU) are left out of the scorecard.")


def comparisons_text(fdr: float) -> str:
    return (
        "Each office is compared with the same service's other offices together (same "
        "period), and each cell with the same cell in the previous period shown, on the "
        "composite. A difference is flagged only when significant after Benjamini–Hochberg "
        f"false-discovery-rate control at {fdr:.0%} over all comparisons in this scorecard "
        "(q-value below the rate); two-sided z-test of the difference of two independent "
        "estimates. Suppressed cells are never compared.")


def small_cells_text(rules: Rules) -> str:
    return (f"Figures from fewer than {rules.minimum_n} respondents are marked indicative; "
            f"from fewer than {rules.suppress_below} they are suppressed (no value or "
            "interval is given). Every figure shows its n and its interval.")


def methodology(rules: Rules, weights: Mapping[str, float], fdr: float,
                weights_note: str = "", *, with_complaints: bool = True) -> Methodology:
    """``weights``: the relative parameter weights (shown normalised to add up to 1);
    ``weights_note`` says when questionnaires in scope weigh differently."""
    total = sum(weights.values())
    shown = {p: w / total for p, w in weights.items()} if total else dict(weights)
    definition = f"{COMPOSITE_DEFINITION} {SATISFIED_DEFINITION}"
    if weights_note:
        definition += f" {weights_note}"
    return Methodology(
        composite_definition=definition, parameter_weights=shown,
        minimum_n=rules.minimum_n, suppress_below=rules.suppress_below,
        weighting=f"{WEIGHTING} {small_cells_text(rules)}", comparisons=comparisons_text(fdr),
        complaints=COMPLAINTS if with_complaints else "")
