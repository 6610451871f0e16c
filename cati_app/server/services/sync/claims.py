"""Handing out cases (``POST /v1/queue/claim``) and confirming delivery (``/ack``).

A claim takes the cases ``core.scheduling`` lets it hand out, in ``core.queue_order`` (DESIGN.md
§3.3), each category read along its own index (``claim_order``, the SQL twin of both). On
PostgreSQL the rows are taken with ``FOR UPDATE SKIP LOCKED``, so concurrent claimers never wait
for each other and never share a case (a row another claimer committed meanwhile is re-checked
and no longer matches ``state = 'queued'``); on SQLite ``BEGIN IMMEDIATE`` serialises claims.

Claimed cases must be acknowledged by the device before ``delivery_deadline``; otherwise they
go back to the queue at the next claim, so a lost reply loses nothing.

Every stage skips cases the claimer released or had returned (``services.cases.exclusions``), and
how many cases one claimer gets is bounded by ``services.sync.claim_limits`` (held cap, hourly
budget, claims per minute; mass claims audited and flagged).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cati_app.core.protocol import AckResponse, ClaimRequest, ClaimResponse, QueueCase
from cati_app.server.context import AppContext
from cati_app.server.errors import Conflict, Forbidden
from cati_app.server.models import Case, CaseState, Grant
from cati_app.server.services.accounts.identity import CurrentUser
from cati_app.server.services.cases import assignments
from cati_app.server.services.cases.case_views import held_case_view, queue_case_views
from cati_app.server.services.sync import claim_limits, claim_order, claim_statement, routing

#: expired deliveries returned to the queue per claim; the rest go at the next claims
EXPIRED_PER_CLAIM = 200


def claim(ctx: AppContext, session: Session, user: CurrentUser, body: ClaimRequest
          ) -> ClaimResponse:
    now = ctx.clock.now()
    request_uuid = str(body.request_uuid)
    claim_limits.serialise_user(session, user.id)  # so the state read next stays true
    state = claim_limits.claimer_state(session, user.id, request_uuid, now)
    claimer = routing.Claimer(frozenset(state.languages), frozenset(state.skills))
    if state.existing_grant_id is not None:
        return _replay(session, user, claimer, session.get_one(Grant, state.existing_grant_id),
                       now)
    claim_limits.check_rate(ctx.settings, state, now)
    if state.first_delivery_deadline is not None and state.first_delivery_deadline < now:
        return_expired_deliveries(ctx, session, now)
    asked = min(body.max_cases, ctx.settings.max_claim_cases)
    allowed = claim_limits.allowance(ctx.settings, state)
    window = _window(ctx, session, user.id, now, claimer)
    grant = Grant(id=str(uuid.uuid4()), request_uuid=request_uuid, user_id=user.id,
                  device_id=body.device_id, created_at=now)
    take = _take_in_one_statement if session.get_bind().dialect.name == "postgresql" \
        else _take_step_by_step
    views = take(ctx, session, window, grant, min(asked, allowed.cases), claimer)
    if asked > allowed.cases:
        claim_limits.flag_mass_claim(session, user_id=user.id, device_id=body.device_id,
                                     at=now, grant_id=grant.id, asked=asked,
                                     allowed=allowed, case_ids=[v.case_id for v in views])
    return ClaimResponse(grant_id=grant.id, server_time=now, cases=views)


def _window(ctx: AppContext, session: Session, user_id: int, now: datetime,
            claimer: routing.Claimer) -> claim_order.ClaimWindow:
    _, horizon = ctx.rules.calendar.window_containing_or_next(now)
    shift = routing.on_shift(session, now, ctx.settings.shift_cache_seconds)
    return claim_order.ClaimWindow(
        user_id=user_id, now=now, horizon=horizon, appointment_grace=ctx.rules.appointment_grace,
        routing=routing.parameters(claimer, shift, now, ctx.settings.language_wait))


def _take_in_one_statement(ctx: AppContext, session: Session, window: claim_order.ClaimWindow,
                           grant: Grant, limit: int, claimer: routing.Claimer
                           ) -> list[QueueCase]:
    """PostgreSQL: pick, hold, record and read back in one statement (claim_statement)."""
    session.flush()  # cases returned by the delivery timeout above must be visible to it
    rows = session.execute(claim_statement.statement(limit), claim_statement.parameters(
        window, limit, grant, window.now + ctx.settings.delivery_timeout)).all()
    if not rows:  # the grant's insert found the request_uuid taken (by another user)
        raise Conflict("this request_uuid was used by another user: make a new one")
    return [held_case_view(row, language_may_not_match=not claimer.speaks(row.language))
            for row in rows if row.id is not None]


def _take_step_by_step(ctx: AppContext, session: Session, window: claim_order.ClaimWindow,
                       grant: Grant, limit: int, claimer: routing.Claimer
                       ) -> list[QueueCase]:
    """SQLite (BEGIN IMMEDIATE serialises claims): the same selects one by one, then the
    writes, then the views."""
    cases = claim_order.take(session, window, limit)
    assignments.grant_claimed(session, cases, user_id=window.user_id, at=window.now,
                              device_id=grant.device_id, grant_id=grant.id,
                              delivery_deadline=window.now + ctx.settings.delivery_timeout)
    grant.case_ids = [c.id for c in cases]
    _record_grant(session, grant)
    return queue_case_views(session, cases, _not_spoken(claimer, cases))


def _not_spoken(claimer: routing.Claimer, cases: Sequence[Case]) -> set[int]:
    return {c.id for c in cases if not claimer.speaks(c.language)}


def _record_grant(session: Session, grant_row: Grant) -> None:
    """Insert the grant, last, in one statement. Its request_uuid can only be taken meanwhile
    by another user (this user's claims are serialised): then the whole claim is undone."""
    values = {c.key: getattr(grant_row, c.key) for c in Grant.__table__.columns}
    inserted = session.execute(sqlite_insert(Grant).values(**values)
                               .on_conflict_do_nothing(index_elements=["request_uuid"])
                               .returning(Grant.id)).first()
    if inserted is None:
        raise Conflict("this request_uuid was used by another user: make a new one")


def _replay(session: Session, user: CurrentUser, claimer: routing.Claimer, grant_row: Grant,
            now: datetime) -> ClaimResponse:
    """A retried claim: the same grant, with the cases this user still holds under it."""
    if grant_row.user_id != user.id:
        raise Conflict("this request_uuid was used by another user: make a new one")
    cases = session.scalars(select(Case).where(
        Case.id.in_(grant_row.case_ids or [-1]), Case.grant_id == grant_row.id,
        Case.holder_id == user.id).order_by(Case.id)).all()
    by_id = {c.id: c for c in cases}
    ordered = [by_id[i] for i in grant_row.case_ids if i in by_id]
    return ClaimResponse(grant_id=grant_row.id, server_time=now,
                         cases=queue_case_views(session, ordered, _not_spoken(claimer, ordered)))


def return_expired_deliveries(ctx: AppContext, session: Session, now: datetime) -> int:
    expired = session.scalars(
        select(Case).where(Case.state == CaseState.HELD, Case.delivery_deadline < now)
        # along ix_cases_delivery, under any plan
        .order_by(Case.delivery_deadline)
        .limit(EXPIRED_PER_CLAIM).with_for_update(skip_locked=True)).all()
    for case in expired:
        assignments.return_to_pool(session, case, at=now, by=None,
                                   reason=assignments.NEVER_ACKNOWLEDGED)
    return len(expired)


def ack(ctx: AppContext, session: Session, user: CurrentUser, grant_id: str,
        case_ids: list[int]) -> AckResponse:
    now = ctx.clock.now()
    grant_row = session.get(Grant, grant_id)
    if grant_row is not None and grant_row.user_id == user.id \
            and grant_row.device_id != user.device_id:
        # G5: only the device that received the cases may confirm it has them; a second
        # device of the same enumerator acknowledging would strand them on the first
        raise Forbidden(f"this grant was given to device {grant_row.device_id!r}, not "
                        f"{user.device_id!r}: only that device can acknowledge it")
    cases = session.scalars(select(Case).where(
        Case.id.in_(case_ids or [-1]), Case.grant_id == grant_id, Case.holder_id == user.id,
        Case.state == CaseState.HELD).with_for_update()).all()
    for case in cases:
        case.delivery_deadline = None
    return AckResponse(acknowledged=sorted(c.id for c in cases), server_time=now)
