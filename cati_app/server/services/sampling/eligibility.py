"""Which frame rows may be drawn (issue 15, contact governance). One reason per excluded row,
the first of ``core.sampling.EXCLUSION_ORDER`` that applies:

- ``outside_period``: availed outside the frame's period (when it has one);
- ``no_valid_phone``: the register had no valid number;
- ``do_not_call``: any of the row's numbers is on the register (``do_not_call.blocked_numbers``);
- ``duplicate_visit``: the same person (any number, or the ID hash) for the same service and
  date availed is already a case, already sampled by another draw, or an earlier row of this
  frame: a service visit is surveyed at most once;
- ``recently_contacted``: the person (any number, or the ID hash) had a case created or called
  for any service within the window (``recontact_window_days``, default 90), or was sampled by
  a draw made within it.

Everything is read in a few set-based queries (no query per row); 100,000 rows take seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from cati_app.server.models import Case, DrawUnit, FrameRow, SampleDraw, SampleFrame
from cati_app.server.services.cases.do_not_call import blocked_numbers

#: numbers per IN (...) list: far below SQLite's and PostgreSQL's parameter limits
IN_CHUNK = 5000
#: sampled units that count as taken: waiting for release or released (not those skipped
#: because their stratum had reached its target, nor those withdrawn for do-not-call)
LIVE = ("sampled", "released")
Visit = tuple[int, str, date]  # service id, person key, date availed


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    service_id: int
    office: str
    date_availed: date | None
    phones: tuple[str, ...]
    id_hash: str | None

    def people(self) -> list[str]:
        """The keys this person is known by: each number, and the ID hash."""
        return [*self.phones, *((f"id:{self.id_hash}",) if self.id_hash else ())]


def load_rows(session: Session, frame_id: int) -> list[Row]:
    result = session.execute(select(
        FrameRow.id, FrameRow.service_id, FrameRow.office, FrameRow.date_availed,
        FrameRow.phone1, FrameRow.phone2, FrameRow.phone3, FrameRow.id_hash)
        .where(FrameRow.frame_id == frame_id).order_by(FrameRow.id))
    return [Row(r.id, r.service_id, r.office, r.date_availed,
                tuple(p for p in (r.phone1, r.phone2, r.phone3) if p), r.id_hash)
            for r in result]


def exclusions(session: Session, frame: SampleFrame, rows: list[Row], *, now: datetime,
               window: timedelta) -> dict[int, str]:
    """Frame row id → the reason it is excluded (eligible rows are absent)."""
    blocked = _blocked(session, {p for row in rows for p in row.phones})
    visits = _visits_taken(session, rows)
    recent = _recent_people(session, now - window) if window > timedelta(0) else set()
    reasons: dict[int, str] = {}
    for row in rows:
        reason = _reason(frame, row, blocked, visits, recent)
        if row.date_availed is not None:  # this visit is taken, whatever became of the row
            visits.update((row.service_id, key, row.date_availed) for key in row.people())
        if reason:
            reasons[row.id] = reason
    return reasons


def _reason(frame: SampleFrame, row: Row, blocked: set[str], visits: set[Visit],
            recent: set[str]) -> str | None:
    when = row.date_availed
    if when is not None and ((frame.period_start and when < frame.period_start)
                             or (frame.period_end and when > frame.period_end)):
        return "outside_period"
    if not row.phones:
        return "no_valid_phone"
    if blocked.intersection(row.phones):
        return "do_not_call"
    people = row.people()
    if when is not None and any((row.service_id, key, when) in visits for key in people):
        return "duplicate_visit"
    if recent.intersection(people):
        return "recently_contacted"
    return None


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start:start + IN_CHUNK]


def _blocked(session: Session, phones: set[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(phones):
        found |= blocked_numbers(session, chunk)
    return found


def _visits_taken(session: Session, rows: list[Row]) -> set[Visit]:
    """Visits already surveyed: cases (any batch, any time) and rows sampled by other draws,
    for the frame's services within its range of dates."""
    dates = [row.date_availed for row in rows if row.date_availed is not None]
    if not dates:
        return set()
    services = sorted({row.service_id for row in rows})
    first, last = min(dates), max(dates)
    visits: set[Visit] = set()
    cases = session.execute(select(
        Case.service_id, Case.date_availed, Case.phone1, Case.phone2, Case.phone3)
        .where(Case.service_id.in_(services), Case.date_availed.between(first, last)))
    for service_id, when, *phones in cases:
        if when is not None:  # the query's BETWEEN leaves no NULL; for the type checker
            visits.update((service_id, p, when) for p in phones if p)
    sampled = session.execute(select(
        FrameRow.service_id, FrameRow.date_availed, FrameRow.phone1, FrameRow.phone2,
        FrameRow.phone3, FrameRow.id_hash)
        .join(DrawUnit, DrawUnit.frame_row_id == FrameRow.id)
        .where(FrameRow.service_id.in_(services), FrameRow.date_availed.between(first, last),
               DrawUnit.status.in_(LIVE)))
    for service_id, when, p1, p2, p3, id_hash in sampled:
        keys = [p for p in (p1, p2, p3) if p] + ([f"id:{id_hash}"] if id_hash else [])
        if when is not None:
            visits.update((service_id, key, when) for key in keys)
    return visits


def _recent_people(session: Session, since: datetime) -> set[str]:
    """Numbers (and ID hashes) contacted or sampled for any service since ``since``: cases
    created or called since then, and rows sampled by draws made since then."""
    people: set[str] = set()
    cases = session.execute(select(Case.phone1, Case.phone2, Case.phone3).where(
        or_(Case.created_at >= since, Case.last_called_at >= since)))
    for phones in cases:
        people.update(p for p in phones if p)
    sampled = session.execute(select(
        FrameRow.phone1, FrameRow.phone2, FrameRow.phone3, FrameRow.id_hash)
        .join(DrawUnit, DrawUnit.frame_row_id == FrameRow.id)
        .join(SampleDraw, and_(SampleDraw.id == DrawUnit.draw_id,
                               SampleDraw.created_at >= since))
        .where(DrawUnit.status.in_(LIVE)))
    for p1, p2, p3, id_hash in sampled:
        people.update(p for p in (p1, p2, p3) if p)
        if id_hash:
            people.add(f"id:{id_hash}")
    return people
