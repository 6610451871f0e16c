"""The Sample sheet (issue 15): the sample report of every draw in the export, one row per
stratum and a total row per draw. Fed the wire reports (``core.protocol_sampling``); nothing
here queries."""

from __future__ import annotations

from collections.abc import Callable

from cati_app.core.protocol_sampling import DrawReport, StratumReport
from cati_app.core.sampling import EXCLUSION_ORDER
from cati_app.reports import styles

EXCLUSION_WORDS = {"outside_period": "Excluded: outside the period",
                   "no_valid_phone": "Excluded: no valid phone",
                   "do_not_call": "Excluded: do-not-call",
                   "duplicate_visit": "Excluded: same visit",
                   "recently_contacted": "Excluded: recently contacted"}
TITLES = ["Draw", "Frame", "Seed", "Allocation", "Stratum", "Service", "Office", "Period",
          "Frame rows", *(EXCLUSION_WORDS[r] for r in EXCLUSION_ORDER), "Eligible", "Sampled",
          "Inclusion probability", "Design weight", "Released", "Completes", "Target",
          "Target reached"]
NOTES = {"Inclusion probability": "π = sampled / eligible in the stratum",
         "Design weight": "1 / π: how many eligible service users each sampled one stands for",
         "Completes": "released cases whose final disposition is a complete interview"}
NO_DRAWS = ("No draw from a sampling frame covers the services of this export: its cases were "
            "imported as call lists, and its figures are unweighted.")


def write_sample(ws: styles.TextSafeSheet, draws: list[DrawReport]) -> None:
    styles.prepare(ws, [7, 22, 20, 13, 34, 10, 24, 9, 10] + [12] * len(EXCLUSION_ORDER)
                   + [10, 10, 12, 10, 10, 10, 9, 9], "F2")
    styles.tall_header(ws, 1)
    ws.append(styles.header(ws, TITLES, NOTES))
    rows = 1
    for draw in draws:
        for stratum in draw.strata:
            ws.append(_row(ws, draw, stratum))
            rows += 1
        ws.append(_total(ws, draw))
        rows += 1
    styles.add_filter(ws, 1, len(TITLES), rows)
    ws.append([])
    if not draws:
        ws.append([NO_DRAWS])
    for draw in draws:
        ws.append([f"Draw {draw.draw_id}: {draw.note}"])


FORMATS = ([styles.INTEGER, None, None, None, None, None, None, None, styles.INTEGER]
           + [styles.INTEGER] * len(EXCLUSION_ORDER)
           + [styles.INTEGER, styles.INTEGER, styles.RATE, styles.SCORE, styles.INTEGER,
              styles.INTEGER, styles.INTEGER, None])


def _row(ws: styles.TextSafeSheet, draw: DrawReport, s: StratumReport) -> list[object]:
    weight = 1 / s.inclusion_probability if s.inclusion_probability else None
    values = [draw.draw_id, draw.frame_name, str(draw.seed), draw.allocation, s.key,
              s.service_code, s.office, s.period or "", s.frame_rows,
              *(s.excluded.get(reason, 0) for reason in EXCLUSION_ORDER), s.eligible,
              s.allocated, s.inclusion_probability, weight, s.released, s.completes, s.target,
              "" if s.target is None else ("yes" if s.target_reached else "no")]
    return styles.formatted(ws, values, FORMATS)


def _total(ws: styles.TextSafeSheet, draw: DrawReport) -> list[object]:
    """The sums of the strata shown (an export of some services shows only theirs)."""
    strata = draw.strata

    def total(read: Callable[[StratumReport], int]) -> int:
        return sum(read(s) for s in strata)

    values = [draw.draw_id, draw.frame_name, str(draw.seed), draw.allocation, "All strata shown",
              "", "", "", total(lambda s: s.frame_rows),
              *(sum(s.excluded.get(reason, 0) for s in strata) for reason in EXCLUSION_ORDER),
              total(lambda s: s.eligible), total(lambda s: s.allocated), None, None,
              total(lambda s: s.released), total(lambda s: s.completes), None, ""]
    return styles.formatted(ws, values, FORMATS, styles.TOTAL_FONT)
