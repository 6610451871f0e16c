"""The audit trail as supervisors and admins read it: filtered by case, user, action and
date, newest first, a page at a time. Read-only (callers read through ``ctx.read()``); the
log itself is append-only in the database (migration ``0006_h9_audit``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cati_app.core.clock import THIMPHU
from cati_app.server.models import AuditEntry, User


@dataclass(frozen=True)
class AuditFilter:
    """Empty means "any". Dates are calendar days in Thimphu, both ends included; ``action``
    matches an action or its group (``user.`` finds every account change)."""

    case_id: int | None = None
    username: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditLine:
    entry: AuditEntry
    username: str


def read_page(session: Session, wanted: AuditFilter, *, limit: int, offset: int
              ) -> tuple[list[AuditLine], int]:
    """One page of matching entries (newest first) and how many match in all."""
    base = _filtered(select(AuditEntry, User.username)
                     .outerjoin(User, User.id == AuditEntry.user_id), wanted)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(base.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                           .limit(limit).offset(offset))
    return [AuditLine(entry, username or "") for entry, username in rows], total


def _filtered(query: Select, wanted: AuditFilter) -> Select:  # type: ignore[type-arg]
    if wanted.case_id is not None:
        query = query.where(AuditEntry.entity == "case",
                            AuditEntry.entity_id == str(wanted.case_id))
    if wanted.username:
        query = query.where(User.username == wanted.username.strip())
    if wanted.action:
        action = wanted.action.strip()
        query = query.where((AuditEntry.action == action)
                            | AuditEntry.action.startswith(action.rstrip(".") + ".",
                                                           autoescape=True))
    if wanted.date_from is not None:
        query = query.where(AuditEntry.at >= _thimphu_midnight(wanted.date_from))
    if wanted.date_to is not None:
        query = query.where(AuditEntry.at < _thimphu_midnight(wanted.date_to + timedelta(days=1)))
    return query


def _thimphu_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=THIMPHU)
