"""Draw a stratified random sample from a frame (issue 15, DESIGN.md §9.1).

Strata are service × office (× month of the date availed with ``by_period``). The eligible
rows (``eligibility``) of each stratum are its N_h; ``core.sampling`` allocates the sample size
(proportional, equal, or by precision), selects with the recorded seed and deals the sample
into replicates. What the draw decided is stored once, with the draw (``SampleDraw.report``),
and each sampled row as a ``DrawUnit`` with its stratum, π_h = n_h / N_h and replicate.

Precision allocation: a stratum needs m_h = n0 / (1 + (n0 − 1)/N_h) completes, n0 =
(1.96 · S_h / margin)², for its mean composite (1–5) to have a 95% interval of ±margin. S_h is
the standard deviation of the composite of the stratum's service and office in the previous
period (the stored scores of primary interviews: the period of the same length just before
the frame's, or every earlier interview when the frame has no period), when at least
``MIN_VARIANCE_N`` were scored; else ``DEFAULT_COMPOSITE_SD``. The sample size is then shared
in proportion to the m_h (so the sample covers nonresponse in proportion), and each m_h
becomes the stratum's target of completes unless a target was given.

The same frame, request and seed give the same sample: the eligible rows are read in id order
and the generator is only ``random.Random(seed).random()`` (see ``core.sampling``). Eligibility
depends on the registers at the time of the draw (do-not-call, recent contacts), so a draw is
reproduced exactly when those have not changed: the exclusion counts of the report show it.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cati_app.core import sampling
from cati_app.core.protocol_sampling import DrawRequest
from cati_app.server.audit import audit
from cati_app.server.errors import NotFound, Unprocessable
from cati_app.server.models import (
    Case,
    DrawUnit,
    InterviewVersion,
    SampleDraw,
    SampleFrame,
    Service,
)
from cati_app.server.services.sampling import eligibility

log = logging.getLogger(__name__)
UNDATED = "undated"


@dataclass
class _Stratum:
    key: str
    service_id: int
    service_code: str
    office: str
    period: str | None
    frame_rows: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    eligible: list[int] = field(default_factory=list)


def frame_or_404(session: Session, frame_id: int) -> SampleFrame:
    """The frame, its row locked for the transaction: two draws from one frame at once (two
    workers on PostgreSQL) are made one after the other, so the second sees the first's
    units as taken instead of sampling the same rows."""
    frame = session.scalar(select(SampleFrame).where(SampleFrame.id == frame_id)
                           .with_for_update())
    if frame is None:
        raise NotFound(f"no frame {frame_id}: GET /v1/frames lists them")
    return frame


def make_draw(session: Session, frame_id: int, request: DrawRequest, *, at: datetime,
              by: int | None, window: timedelta) -> SampleDraw:
    """Draw from frame ``frame_id`` as ``request`` says; the new draw (its units inserted)."""
    frame = frame_or_404(session, frame_id)
    if request.allocation == "precision" and request.margin is None:
        raise Unprocessable("a precision allocation needs the margin: the half-width wanted "
                            "for the 95% interval of the 1-5 composite, e.g. 0.2")
    rows = eligibility.load_rows(session, frame.id)
    if not rows:
        raise Unprocessable(f"frame {frame.id} has no rows to draw from")
    reasons = eligibility.exclusions(session, frame, rows, now=at, window=window)
    strata = _strata(session, rows, reasons, request.by_period)
    sizes = {key: len(s.eligible) for key, s in strata.items()}
    if not any(sizes.values()):
        raise Unprocessable("no row of this frame is eligible (excluded: "
                            f"{_counts_text(Counter(reasons.values()))}): nothing to draw")
    needs, sds = _needs(session, frame, strata, request)
    weights = (sampling.equal_weights(sizes) if request.allocation == "equal"
               else {k: float(v) for k, v in needs.items()} if needs else None)
    allocated = sampling.allocate(sizes, request.sample_size, weights)
    seed = request.seed if request.seed is not None else sampling.new_seed()
    chosen = sampling.select({k: s.eligible for k, s in strata.items()}, allocated,
                             seed=seed, replicates=request.replicates)
    targets = {k: request.target_per_stratum or needs.get(k) for k in strata}
    report = _report(strata, sizes, allocated, targets, sds, reasons, request, needs)
    draw = SampleDraw(frame_id=frame.id, seed=seed, allocation=request.allocation,
                      sample_size=request.sample_size, by_period=request.by_period,
                      margin=request.margin, replicates=request.replicates,
                      target_per_stratum=request.target_per_stratum,
                      auto_release=request.auto_release, created_at=at, created_by=by,
                      report=report)
    session.add(draw)
    session.flush()
    for start in range(0, len(chosen), 5000):
        session.execute(insert(DrawUnit), [
            {"draw_id": draw.id, "frame_row_id": c.unit, "stratum": c.stratum,
             "inclusion_probability": c.inclusion_probability, "replicate": c.replicate,
             "status": "sampled"} for c in chosen[start:start + 5000]])
    audit(session, at=at, user_id=by, action="draw.create", entity="sample_draw",
          entity_id=draw.id, details={
              "frame": frame.id, "seed": seed, "allocation": request.allocation,
              "sample_size": request.sample_size, "by_period": request.by_period,
              "margin": request.margin, "replicates": request.replicates,
              "target_per_stratum": request.target_per_stratum, "sampled": len(chosen),
              "excluded": report["excluded"]})
    log.info("draw %s from frame %s: %d sampled (seed recorded)", draw.id, frame.id,
             len(chosen))
    return draw


def _strata(session: Session, rows: list[eligibility.Row], reasons: dict[int, str],
            by_period: bool) -> dict[str, _Stratum]:
    codes = {sid: code for sid, code in session.execute(select(Service.id, Service.code))}
    strata: dict[str, _Stratum] = {}
    for row in rows:
        period = None
        if by_period:
            period = row.date_availed.strftime("%Y-%m") if row.date_availed else UNDATED
        code = codes[row.service_id]
        key = "|".join((code, row.office, *((period,) if period else ())))
        stratum = strata.get(key)
        if stratum is None:
            stratum = strata[key] = _Stratum(key, row.service_id, code, row.office, period)
        stratum.frame_rows += 1
        reason = reasons.get(row.id)
        if reason:
            stratum.excluded[reason] += 1
        else:
            stratum.eligible.append(row.id)
    return strata


def _needs(session: Session, frame: SampleFrame, strata: dict[str, _Stratum],
           request: DrawRequest) -> tuple[dict[str, int], dict[str, tuple[float, int]]]:
    """Completes each stratum needs for the margin, and the SD used (with its n: 0 when the
    default was used); empty unless the allocation is by precision."""
    if request.allocation != "precision" or request.margin is None:
        return {}, {}
    previous = previous_sds(session, frame, {(s.service_id, s.office) for s in strata.values()})
    needs: dict[str, int] = {}
    sds: dict[str, tuple[float, int]] = {}
    for key, stratum in strata.items():
        sds[key] = previous.get((stratum.service_id, stratum.office),
                                (sampling.DEFAULT_COMPOSITE_SD, 0))
        needs[key] = sampling.needed_completes(len(stratum.eligible), sds[key][0],
                                               request.margin)
    return needs, sds


def previous_sds(session: Session, frame: SampleFrame, cells: set[tuple[int, str]]
                 ) -> dict[tuple[int, str], tuple[float, int]]:
    """(service id, office) → (SD of the composite, interviews) in the previous period, for
    cells with at least MIN_VARIANCE_N scored primary interviews."""
    score = InterviewVersion.score_composite
    query = (select(Case.service_id, Case.office, func.count(score), func.avg(score),
                    func.avg(score * score))
             .join(Case, Case.id == InterviewVersion.case_id)
             .where(InterviewVersion.primary.is_(True), score.is_not(None),
                    Case.service_id.in_(sorted({sid for sid, _ in cells})))
             .group_by(Case.service_id, Case.office))
    if frame.period_start is not None:
        end = frame.period_end or frame.period_start
        length = end - frame.period_start + timedelta(days=1)
        query = query.where(Case.date_availed >= frame.period_start - length,
                            Case.date_availed < frame.period_start)
    found: dict[tuple[int, str], tuple[float, int]] = {}
    for service_id, office, n, mean, mean_square in session.execute(query):
        if (service_id, office) in cells and n >= sampling.MIN_VARIANCE_N:
            variance = max(0.0, (float(mean_square) - float(mean) ** 2) * n / (n - 1))
            found[(service_id, office)] = (math.sqrt(variance), n)
    return found


def _report(strata: dict[str, _Stratum], sizes: dict[str, int], allocated: dict[str, int],
            targets: dict[str, int | None], sds: dict[str, tuple[float, int]],
            reasons: dict[int, str], request: DrawRequest, needs: dict[str, int]
            ) -> dict[str, Any]:
    lines = []
    for key in sorted(strata):
        s = strata[key]
        line: dict[str, Any] = {
            "key": key, "service_code": s.service_code, "office": s.office,
            "period": s.period, "frame_rows": s.frame_rows, "eligible": sizes[key],
            "excluded": dict(sorted(s.excluded.items())), "allocated": allocated[key],
            "inclusion_probability": allocated[key] / sizes[key] if sizes[key] else 0.0,
            "target": targets[key]}
        if key in sds:
            line["sd"], line["sd_interviews"] = sds[key]
        lines.append(line)
    return {"frame_rows": sum(s.frame_rows for s in strata.values()),
            "excluded": dict(sorted(Counter(reasons.values()).items())),
            "strata": lines, "note": _note(request, sizes, allocated, needs, sds)}


def _note(request: DrawRequest, sizes: dict[str, int], allocated: dict[str, int],
          needs: dict[str, int], sds: dict[str, tuple[float, int]]) -> str:
    eligible, drawn = sum(sizes.values()), sum(allocated.values())
    how = {"proportional": "in proportion to each stratum's eligible rows",
           "equal": "equally among the strata",
           "precision": "in proportion to the completes each stratum needs"}[request.allocation]
    parts = [f"{drawn} of {eligible} eligible rows drawn, shared {how} (largest remainder; a "
             "stratum never gets more than its rows, the surplus goes to the others)."]
    if drawn < request.sample_size:
        parts.append(f"The sample size asked ({request.sample_size}) is more than the "
                     "eligible rows: every eligible row is drawn (π = 1).")
    if needs:
        own = sum(1 for _sd, n in sds.values() if n)
        parts.append(
            f"±{request.margin} on the 1-5 composite at 95% needs {sum(needs.values())} "
            f"completes in all; {own} of {len(sds)} strata use their previous period's "
            f"SD, the others the default SD {sampling.DEFAULT_COMPOSITE_SD}.")
        if drawn < sum(needs.values()):
            parts.append("The sample is smaller than the completes needed: the margin will "
                         "not be reached.")
    parts.append(f"Dealt into {request.replicates} random replicates; π = n_h / N_h, the "
                 "design weight is 1/π.")
    return " ".join(parts)


def _counts_text(counts: Counter[str]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items())) or "none"


def strata_of(draw: SampleDraw) -> dict[str, dict[str, Any]]:
    return {line["key"]: line for line in draw.report.get("strata", [])}

