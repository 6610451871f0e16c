"""The call room at a glance for the supervisor's window: when each enumerator's devices last
talked to the server, and how much waits for a supervisor (conflicts, review, released cases,
quarantined items). Counts only, by the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati_app.core.protocol import Role
from cati_app.core.protocol_supervision import EnumeratorPresence, RoomStatus
from cati_app.server.models import (
    Case,
    CaseState,
    Conflict,
    Device,
    InterviewVersion,
    QuarantinedItem,
    User,
)
from cati_app.server.models.guards import CaseExclusion
from cati_app.server.models.sync import ConflictStatus, ReviewStatus
from cati_app.server.services.cases import exclusions
from cati_app.server.services.reporting.language_backlog import language_backlog


def room_status(session: Session, now: datetime) -> RoomStatus:
    backlog = language_backlog(session, now)
    last_seen = (select(Device.user_id, func.max(Device.last_seen).label("last_seen"))
                 .group_by(Device.user_id).subquery())
    people = session.execute(
        select(User.username, User.full_name, last_seen.c.last_seen)
        .outerjoin(last_seen, last_seen.c.user_id == User.id)
        .where(User.role == Role.enumerator.value, User.active.is_(True))
        .order_by(User.username)).all()
    return RoomStatus(
        at=now,
        enumerators=[EnumeratorPresence(username=u, full_name=n or u, last_seen=seen)
                     for u, n, seen in people],
        open_conflicts=_count(session, select(Conflict.id)
                              .where(Conflict.status == ConflictStatus.OPEN)),
        waiting_review=_count(session, select(InterviewVersion.id).where(
            InterviewVersion.primary.is_(True),
            InterviewVersion.review_status == ReviewStatus.PENDING)),
        released_waiting=_count(session, select(CaseExclusion.case_id)
                                .join(Case, Case.id == CaseExclusion.case_id)
                                .where(CaseExclusion.reason == exclusions.RELEASED,
                                       Case.holder_id.is_(None),
                                       Case.state == CaseState.QUEUED)),
        quarantined_open=_count(session, select(QuarantinedItem.id)
                                .where(QuarantinedItem.settled_at.is_(None))),
        languages=backlog.languages, conversions_waiting=backlog.conversions_waiting,
        converters_on_shift=backlog.converters_on_shift, on_shift=backlog.on_shift,
    )


def _count(session: Session, query) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0
