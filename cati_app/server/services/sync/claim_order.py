"""Which queued cases a claim hands out, and in what order: the SQL twin of
``core.scheduling.claimable_by`` (which cases) and ``core.queue_order`` (their order).

A case is offered when it is queued, not excluded for the claimer (``cases.exclusions``), may
be taken by the claimer (``routing``: language, refusal conversion, do-not-call), not
someone else's hard appointment within its grace, and callable within the current or next
calling window (``next_call_at`` is None or at most the window's end). The order is
``queue_order.queue_sort_key`` at the claim's ``now``: due appointments (the claimer's own hard
ones first), interviews returned for correction, due retries and missed appointments, fresh
cases, then cases not yet due by their due time. ``tests/server/test_claim_order.py`` checks
the twins agree over generated case sets, on SQLite and PostgreSQL.

Each category is read by one or two selects that each follow an index (``Case.pool`` splits
the queue so that the large pools, fresh and retry, are index range scans in their category's
order). A category that spans two pools locks up to the rows still wanted from each and
keeps the best by the category's key, so it may lock a few rows it does not take; they stay
queued and a concurrent claim skips them until this one commits.

How a server case maps to a ``QueueEntry``: ``appointment`` is (appointment_at, kind, by) when
``appointment_at`` is set (``pool == 'appointment'``, kept so by ``case_plan.refresh_pool``);
``returned_for_correction`` is ``correction IS NOT NULL``; the other fields are the columns of
the same name.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from cati_app.server.models import Case, CaseState
from cati_app.server.services.cases.exclusions import not_excluded
from cati_app.server.services.sync import routing

#: a sort key of one category, computed in Python from a fetched row (merges two pools)
SortKey = Callable[[Case], tuple[float, float, int]]


@dataclass(frozen=True)
class Category:
    """One queue category: one select, or two whose rows are merged by ``key``."""

    selects: tuple[Select[Case], ...]
    key: SortKey | None = None


@dataclass(frozen=True)
class ClaimWindow:
    user_id: int
    now: datetime
    #: the end of the current or next calling window: cases due by then may be handed out
    horizon: datetime
    appointment_grace: timedelta
    #: the values of ``routing.may_take``'s parameters for this claimer (``routing.parameters``)
    routing: dict[str, object]

    def params(self) -> dict[str, object]:
        return {"user_id": self.user_id, "now": self.now, "horizon": self.horizon,
                "grace_start": self.now - self.appointment_grace, **self.routing}


def take(session: Session, window: ClaimWindow, limit: int) -> list[Case]:
    """Lock and return up to ``limit`` claimable cases, best first (``FOR UPDATE SKIP
    LOCKED`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises claims). The
    PostgreSQL claim runs the same selects inside one statement (``claim_statement``)."""
    taken: list[Case] = []
    if limit <= 0:
        return taken
    params = window.params()
    for category in _with_candidates(session, params):
        wanted = limit - len(taken)
        if wanted <= 0:
            break
        taken.extend(_read(session, category, wanted, params))
    return taken


def _with_candidates(session: Session, params: dict[str, object]) -> list[Category]:
    """The categories with at least one candidate, their selects cut to those that have one:
    one round trip instead of one locking select per empty category. Unlocked, so it may
    keep a select whose rows another claim takes meanwhile (that select then finds fewer)."""
    *probed, last = categories()  # the last is read only when all others fall short
    found = iter(session.execute(_probe(), params).one())
    kept = []
    for category in probed:
        live = tuple(q for q in category.selects if next(found))
        if live:
            kept.append(Category(live, category.key))
    return [*kept, last]


def _read(session: Session, category: Category, wanted: int, params: dict[str, object]
          ) -> list[Case]:
    parts = [list(session.scalars(query.limit(wanted).with_for_update(skip_locked=True),
                                  params))
             for query in category.selects]
    if len(parts) == 1:
        return parts[0]
    assert category.key is not None
    return list(heapq.merge(*parts, key=category.key))[:wanted]


@cache
def _probe() -> Select[*tuple[bool, ...]]:
    *probed, _last = categories()
    return select(*[exists(q.order_by(None)) for c in probed for q in c.selects])


@cache
def categories() -> list[Category]:
    """The categories in queue order, built once per process: the claimer, the claim's time,
    the window's end and the start of the appointment grace are bound parameters
    (``user_id``, ``now``, ``horizon``, ``grace_start``), and so are the claimer's routing
    (``routing.may_take``: languages, conversion skill, do-not-call)."""
    when = Case.next_call_at.type
    user_id = bindparam("user_id", type_=Integer())
    now, horizon, grace_start = (bindparam(name, type_=when)
                                 for name in ("now", "horizon", "grace_start"))
    due = func.coalesce(Case.next_call_at, Case.appointment_at)
    hard, pool = constant("hard"), {name: constant(name) for name in ("fresh", "retry",
                                                                      "appointment")}
    reserved = and_(Case.appointment_kind == hard, Case.appointment_by.is_not(None))
    mine_first = sql_case((and_(reserved, Case.appointment_by == user_id), 0), else_=1)
    hidden = and_(reserved, Case.appointment_by != user_id, due > grace_start)
    appointment = and_(Case.pool == pool["appointment"], not_(hidden))
    in_grace = and_(due <= now, due > grace_start)
    missed = due <= grace_start
    correction = Case.correction.is_not(None)
    queued = select(Case).where(
        Case.state == constant(CaseState.QUEUED),
        or_(Case.next_call_at.is_(None), Case.next_call_at <= horizon),
        not_excluded(user_id), routing.may_take())
    by_priority_then_least_recent = (Case.priority.desc(),
                                     Case.last_called_at.asc().nulls_first(), Case.id)
    by_due = (due, Case.priority.desc(), Case.id)
    not_due = or_(Case.next_call_at.is_(None), Case.next_call_at <= now)
    return [
        # 1 and 2: appointments due within their grace, the claimer's own hard ones first
        Category((queued.where(appointment, in_grace)
                  .order_by(mine_first, *by_due),)),
        # 3: returned for correction (a due appointment above outranks it)
        Category((queued.where(correction, or_(Case.pool != pool["appointment"],
                                               and_(not_(hidden), not_(in_grace))))
                  .order_by(*by_priority_then_least_recent),)),
        # 4: due retries, and appointments missed by more than the grace (for anyone)
        Category((queued.where(~correction, Case.pool == pool["retry"], not_due)
                  .order_by(*by_priority_then_least_recent),
                  queued.where(~correction, Case.pool == pool["appointment"], missed)
                  .order_by(*by_priority_then_least_recent)),
                 key=key_priority_then_least_recent),
        # 5: fresh cases, newest service first
        Category((queued.where(~correction, Case.pool == pool["fresh"], not_due)
                  .order_by(Case.priority.desc(), Case.date_availed.desc().nulls_last(),
                            Case.id),)),
        # 6: not yet due (within the horizon), by due time
        # (a fresh case has no next call time before its first call: only retries here)
        Category((queued.where(~correction, Case.pool == pool["retry"], Case.next_call_at > now)
                  .order_by(*by_due),
                  queued.where(~correction, appointment, due > now)
                  .order_by(*by_due)),
                 key=key_by_due),
    ]


def constant(value: str) -> ColumnElement[str]:
    """A value written into the statement's text, not bound: PostgreSQL plans the one-statement
    claim once per connection (claim_statement), and a pool or state it cannot see is
    estimated at an average share of the table, so the tiny appointment pool was read by a
    sequential scan of every case."""
    return literal(value, String(), literal_execute=True)


def key_priority_then_least_recent(case: Case) -> tuple[float, float, int]:
    return (-case.priority, _ts(case.last_called_at), case.id)


def key_by_due(case: Case) -> tuple[float, float, int]:
    return (_ts(case.next_call_at or case.appointment_at), -case.priority, case.id)


def _ts(when: datetime | None) -> float:
    return when.timestamp() if when is not None else float("-inf")

