"""Release a draw's replicates to the call queue (issue 15, DESIGN.md §9.1).

A release turns the units of one replicate into queued cases (one sample batch per service,
``cases.inclusion_probability`` and ``cases.stratum`` set), so the claim, the queue and every
report work on them unchanged. Units of a stratum whose target of completes is reached are
not released (``skipped_target``); a number put on the do-not-call register since the draw is
not released either (``do_not_call``).

**Worked**: a draw's released replicates are worked when every case released from them is
closed: a final disposition was reached (an interview, a refusal, not eligible, ...) or the
calling protocol was exhausted (the attempt cap, no number left: ``case_plan`` closes the case
then). A case waiting for a supervisor is not worked. When the last open case of a draw with
``auto_release`` closes, the next replicate is released in the same transaction (``note_closed``
is called by ``case_plan.close``; the check runs once, just before the commit, and locks the
draw's row so two workers closing the last two cases at once cannot both miss it or both
release). The first replicate is always released by a person.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cati_app.core.protocol_sampling import ReleaseResult
from cati_app.server.audit import audit
from cati_app.server.db import refresh_planner_statistics
from cati_app.server.errors import CatiError, Conflict, NotFound, Unprocessable
from cati_app.server.models import (
    Case,
    CaseState,
    DrawRelease,
    DrawUnit,
    FrameRow,
    SampleBatch,
    SampleDraw,
)
from cati_app.server.services.cases.do_not_call import blocked_numbers
from cati_app.server.services.sampling.draws import strata_of

log = logging.getLogger(__name__)
COMPLETE = "complete"
_PENDING = "cati_sampling_closed"
#: a release this large refreshes PostgreSQL's planner statistics, as a large import does
ANALYZE_AFTER = 2000


def release(session: Session, draw_id: int, replicate: int | None = None, *, at: datetime,
            by: int | None, automatic: bool = False, batch_name: str | None = None
            ) -> ReleaseResult:
    """Release ``replicate`` (default: the lowest not yet released) of draw ``draw_id``."""
    draw = locked_draw(session, draw_id)
    replicate = _which(session, draw, replicate)
    strata = strata_of(draw)
    completes = completes_by_stratum(session, draw.id)
    reached = {key for key, line in strata.items() if _reached(line, completes)}
    if strata and reached == set(strata):
        raise Conflict(f"every stratum of draw {draw.id} has reached its target of completes: "
                       "nothing more to release")
    units = session.execute(
        select(DrawUnit, FrameRow).join(FrameRow, FrameRow.id == DrawUnit.frame_row_id)
        .where(DrawUnit.draw_id == draw.id, DrawUnit.replicate == replicate,
               DrawUnit.status == "sampled").order_by(DrawUnit.id)).all()
    blocked = blocked_numbers(session, {p for _u, row in units for p in _phones(row)})
    batches: dict[int, SampleBatch] = {}
    made: list[tuple[DrawUnit, Case]] = []
    withdrawn = 0
    for unit, row in units:
        if unit.stratum in reached:
            unit.status = "skipped_target"
        elif blocked.intersection(_phones(row)):
            unit.status, withdrawn = "do_not_call", withdrawn + 1
        else:
            batch = batches.get(row.service_id)
            if batch is None:
                batch = batches[row.service_id] = _batch(session, draw, replicate, row,
                                                         at, by, batch_name)
            made.append((unit, _case(unit, row, batch, at)))
    session.add_all(case for _unit, case in made)
    session.flush()
    for unit, case in made:
        unit.status, unit.case_id = "released", case.id
    for batch in batches.values():
        batch.rows_imported = sum(1 for _u, c in made if c.batch_id == batch.id)
    skipped = sorted(reached & {unit.stratum for unit, _row in units})
    session.add(DrawRelease(draw_id=draw.id, replicate=replicate, released_at=at,
                            released_by=by, automatic=automatic, cases_released=len(made),
                            strata_skipped=skipped))
    if len(made) >= ANALYZE_AFTER:
        refresh_planner_statistics(session)
    audit(session, at=at, user_id=by, action="draw.release", entity="sample_draw",
          entity_id=draw.id, details={"replicate": replicate, "cases": len(made),
                                      "strata_skipped": skipped, "automatic": automatic,
                                      "withdrawn_do_not_call": withdrawn})
    return ReleaseResult(draw_id=draw.id, replicate=replicate, cases_released=len(made),
                         strata_skipped=skipped, withdrawn_do_not_call=withdrawn,
                         automatic=automatic)


def locked_draw(session: Session, draw_id: int) -> SampleDraw:
    """The draw's row, locked for this transaction (PostgreSQL; SQLite's writers are serial):
    releases of one draw, by hand or automatic, happen one at a time."""
    draw = session.scalar(select(SampleDraw).where(SampleDraw.id == draw_id)
                          .with_for_update())
    if draw is None:
        raise NotFound(f"no draw {draw_id}: GET /v1/draws lists them")
    return draw


def released_replicates(session: Session, draw_id: int) -> set[int]:
    return set(session.scalars(select(DrawRelease.replicate)
                               .where(DrawRelease.draw_id == draw_id)))


def _which(session: Session, draw: SampleDraw, replicate: int | None) -> int:
    done = released_replicates(session, draw.id)
    if replicate is None:
        waiting = [r for r in range(1, draw.replicates + 1) if r not in done]
        if not waiting:
            raise Conflict(f"all {draw.replicates} replicates of draw {draw.id} are released: "
                           "make a new draw from the frame for more cases")
        return waiting[0]
    if replicate > draw.replicates:
        raise Unprocessable(f"draw {draw.id} has replicates 1 to {draw.replicates}, not "
                            f"{replicate}")
    if replicate in done:
        raise Conflict(f"replicate {replicate} of draw {draw.id} is already released")
    return replicate


def _reached(line: dict[str, Any], completes: dict[str, int]) -> bool:
    target = line.get("target")
    return target is not None and completes.get(line["key"], 0) >= target


def completes_by_stratum(session: Session, draw_id: int) -> dict[str, int]:
    return {stratum: n for stratum, n in session.execute(
        select(DrawUnit.stratum, func.count()).join(Case, Case.id == DrawUnit.case_id)
        .where(DrawUnit.draw_id == draw_id, Case.disposition == COMPLETE)
        .group_by(DrawUnit.stratum))}


def _phones(row: FrameRow) -> list[str]:
    return [p for p in (row.phone1, row.phone2, row.phone3) if p]


def _batch(session: Session, draw: SampleDraw, replicate: int, row: FrameRow, at: datetime,
           by: int | None, name: str | None) -> SampleBatch:
    batch = SampleBatch(name=(name or f"Draw {draw.id} replicate {replicate}")[:200],
                        service_id=row.service_id, imported_at=at, imported_by=by)
    session.add(batch)
    session.flush()
    return batch


def _case(unit: DrawUnit, row: FrameRow, batch: SampleBatch, at: datetime) -> Case:
    phones = _phones(row)
    return Case(batch_id=batch.id, service_id=row.service_id,
                respondent_name=row.respondent_name, phone1=phones[0],
                phone2=phones[1] if len(phones) > 1 else None,
                phone3=phones[2] if len(phones) > 2 else None, office=row.office,
                dzongkhag=row.dzongkhag, date_availed=row.date_availed, language=row.language,
                priority=50, inclusion_probability=unit.inclusion_probability,
                stratum=unit.stratum, state=CaseState.QUEUED, pool="fresh",
                assignment_version=0, attempt_count=0, next_phone_index=0, created_at=at,
                updated_at=at)


# --- automatic release when the released cases are worked -----------------------------------


def note_closed(session: Session, case: Case, at: datetime) -> None:
    """Called when a case closes: a drawn case's draw is checked once, before the commit."""
    if case.stratum is None:
        return
    pending: dict[int, datetime] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = {}
        event.listen(session, "before_commit", _check_pending)
    pending[case.id] = at


def _check_pending(session: Session) -> None:
    pending: dict[int, datetime] = session.info.pop(_PENDING, {})
    if not pending:
        return
    at = max(pending.values())
    draws = session.scalars(
        select(DrawUnit.draw_id).join(SampleDraw, SampleDraw.id == DrawUnit.draw_id)
        .where(DrawUnit.case_id.in_(sorted(pending)), SampleDraw.auto_release.is_(True))
        .distinct()).all()
    for draw_id in sorted(draws):  # in id order: two workers lock draws in the same order
        try:
            with session.begin_nested():
                release_if_worked(session, draw_id, at=at)
        except (SQLAlchemyError, CatiError) as exc:
            # the closing case (a push, a supervisor's decision) must not fail for this: the
            # supervisor can still release by hand
            log.warning("automatic release of draw %s failed: %s", draw_id,
                        type(exc).__name__)


def release_if_worked(session: Session, draw_id: int, *, at: datetime) -> ReleaseResult | None:
    """Release the next replicate when every released case of the draw is closed, a replicate
    is left and some stratum still wants completes; else nothing (None)."""
    draw = locked_draw(session, draw_id)
    done = released_replicates(session, draw.id)
    if not done or len(done) >= draw.replicates:
        return None
    still_open = session.scalar(
        select(func.count()).select_from(DrawUnit).join(Case, Case.id == DrawUnit.case_id)
        .where(DrawUnit.draw_id == draw.id, Case.state != CaseState.CLOSED))
    if still_open:
        return None
    completes = completes_by_stratum(session, draw.id)
    strata = strata_of(draw)
    if strata and all(_reached(line, completes) for line in strata.values()):
        return None
    result = release(session, draw.id, at=at, by=None, automatic=True)
    log.info("draw %s: replicate %s released automatically (%d cases)", draw.id,
             result.replicate, result.cases_released)
    return result
