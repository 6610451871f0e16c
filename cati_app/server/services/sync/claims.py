"""Handing out cases (``POST /v1/queue/claim``) and confirming delivery (``/ack``).

A claim takes cases in queue order (DESIGN.md §3.3), one pool at a time, each pool read along
its own index: appointments (a hard one only by its booker while within grace), then retries
whose next call falls within the current or next calling window, then fresh cases. On
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
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, not_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cati_app.core.protocol import AckResponse, ClaimRequest, ClaimResponse
from cati_app.server.context import AppContext
from cati_app.server.errors import Conflict, Forbidden
from cati_app.server.models import Case, CaseState, Grant
from cati_app.server.services.accounts.identity import CurrentUser
from cati_app.server.services.cases import assignments
from cati_app.server.services.cases.case_views import queue_case_views
from cati_app.server.services.cases.exclusions import not_excluded
from cati_app.server.services.sync import claim_limits

#: expired deliveries returned to the queue per claim; the rest go at the next claims
EXPIRED_PER_CLAIM = 200


def claim(ctx: AppContext, session: Session, user: CurrentUser, body: ClaimRequest
          ) -> ClaimResponse:
    now = ctx.clock.now()
    request_uuid = str(body.request_uuid)
    claim_limits.serialise_user(session, user.id)
    existing = session.scalar(select(Grant).where(Grant.request_uuid == request_uuid))
    if existing is not None:
        return _replay(session, user, existing, now)
    claim_limits.check_rate(ctx.settings, session, user.id, now)
    grant_row = Grant(id=str(uuid.uuid4()), request_uuid=request_uuid, user_id=user.id,
                      device_id=body.device_id, created_at=now, case_ids=[])
    try:
        with session.begin_nested():
            session.add(grant_row)
            session.flush()
    except IntegrityError:  # the same claim, retried concurrently, committed first
        existing = session.scalar(select(Grant).where(Grant.request_uuid == request_uuid))
        if existing is None:
            raise
        return _replay(session, user, existing, now)
    return_expired_deliveries(ctx, session, now)
    asked = min(body.max_cases, ctx.settings.max_claim_cases)
    allowed = claim_limits.allowance(ctx.settings, session, user.id, now)
    cases = _take(ctx, session, user.id, now, min(asked, allowed.cases))
    deadline = now + ctx.settings.delivery_timeout
    for case in cases:
        assignments.grant(session, case, user_id=user.id, at=now, by=user.id,
                          device_id=body.device_id, grant_id=grant_row.id,
                          delivery_deadline=deadline)
    grant_row.case_ids = [c.id for c in cases]
    if asked > allowed.cases:
        claim_limits.flag_mass_claim(session, user_id=user.id, device_id=body.device_id,
                                     at=now, grant_id=grant_row.id, asked=asked,
                                     allowed=allowed, case_ids=grant_row.case_ids)
    return ClaimResponse(grant_id=grant_row.id, server_time=now,
                         cases=queue_case_views(session, cases))


def _replay(session: Session, user: CurrentUser, grant_row: Grant, now: datetime
            ) -> ClaimResponse:
    """A retried claim: the same grant, with the cases this user still holds under it."""
    if grant_row.user_id != user.id:
        raise Conflict("this request_uuid was used by another user: make a new one")
    cases = session.scalars(select(Case).where(
        Case.id.in_(grant_row.case_ids or [-1]), Case.grant_id == grant_row.id,
        Case.holder_id == user.id).order_by(Case.id)).all()
    by_id = {c.id: c for c in cases}
    ordered = [by_id[i] for i in grant_row.case_ids if i in by_id]
    return ClaimResponse(grant_id=grant_row.id, server_time=now,
                         cases=queue_case_views(session, ordered))


def _take(ctx: AppContext, session: Session, user_id: int, now: datetime, limit: int
          ) -> list[Case]:
    _, horizon = ctx.rules.calendar.window_containing_or_next(now)
    taken: list[Case] = []
    for query in _stages(user_id, now, horizon, ctx.rules.appointment_grace):
        if len(taken) >= limit:
            break
        rows = session.scalars(
            query.limit(limit - len(taken)).with_for_update(skip_locked=True)).all()
        taken.extend(rows)
    return taken


def _stages(user_id: int, now: datetime, horizon: datetime,
            grace: timedelta) -> list[Select[Case]]:
    # a former holder who released the case or had it returned is not offered it again
    queued = select(Case).where(Case.state == CaseState.QUEUED, not_excluded(user_id))
    reserved_for_other = and_(Case.appointment_kind == "hard",
                              Case.appointment_by.is_not(None),
                              Case.appointment_by != user_id,
                              Case.appointment_at > now - grace)
    mine_first = or_(Case.appointment_kind != "hard", Case.appointment_by != user_id)
    appointments = (queued.where(Case.pool == "appointment", Case.appointment_at <= horizon,
                                 not_(reserved_for_other))
                    .order_by(mine_first, Case.appointment_at, Case.priority.desc(), Case.id))
    retries = (queued.where(Case.pool == "retry",
                            or_(Case.next_call_at.is_(None), Case.next_call_at <= horizon))
               .order_by(Case.priority.desc(), Case.last_called_at.asc().nulls_first(),
                         Case.id))
    fresh = (queued.where(Case.pool == "fresh")
             .order_by(Case.priority.desc(), Case.date_availed.desc().nulls_last(), Case.id))
    return [appointments, retries, fresh]


def return_expired_deliveries(ctx: AppContext, session: Session, now: datetime) -> int:
    expired = session.scalars(
        select(Case).where(Case.state == CaseState.HELD, Case.delivery_deadline < now)
        .order_by(Case.id).limit(EXPIRED_PER_CLAIM).with_for_update(skip_locked=True)).all()
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
