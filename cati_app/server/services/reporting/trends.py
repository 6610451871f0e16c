"""Fieldwork over time for the dashboard's trend charts: completes and attempts per Thimphu
day, and each service's mean composite score per week. Counted by the database, grouped by
the Thimphu day of when the work reached the server (the dashboard's "today" is the same)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from cati_app.core.clock import THIMPHU, to_thimphu
from cati_app.core.protocol_supervision import DayCount, ServiceWeeks, Trends
from cati_app.server.models import Case, ContactAttempt, InterviewVersion, Service
from cati_app.server.services.reporting.reporting import COMPLETE

THIMPHU_OFFSET_HOURS = 6  # Asia/Thimphu has kept UTC+6, with no summer time, since 1987


def trends(session: Session, now: datetime, *, days: int, weeks: int) -> Trends:
    today = to_thimphu(now).date()
    first_day = today - timedelta(days=days - 1)
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    since = _start_of(min(first_day, mondays[0]))
    dialect = session.get_bind().dialect.name
    attempts = _per_day(session, ContactAttempt.received_at, since, dialect)
    completes = _per_day(session, InterviewVersion.received_at, since, dialect,
                         InterviewVersion.completion == COMPLETE,
                         InterviewVersion.primary.is_(True))
    return Trends(
        days=[DayCount(day=d, completes=completes.get(d, 0), attempts=attempts.get(d, 0))
              for d in (first_day + timedelta(days=n) for n in range(days))],
        weeks=mondays, services=_composite_weeks(session, since, mondays, dialect))


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=THIMPHU)


def thimphu_day(column: Any, dialect: str) -> ColumnElement[str]:
    """The Thimphu calendar day (``YYYY-MM-DD``) of a UTC timestamp column, in SQL."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Thimphu", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column, f"+{THIMPHU_OFFSET_HOURS} hours")


def _per_day(session: Session, column: Any, since: datetime, dialect: str,
             *where: ColumnElement[bool]) -> dict[date, int]:
    day = thimphu_day(column, dialect)
    rows = session.execute(select(day, func.count()).where(column >= since, *where)
                           .group_by(day))
    return {date.fromisoformat(text): int(n) for text, n in rows if text}


def _composite_weeks(session: Session, since: datetime, mondays: list[date],
                     dialect: str) -> list[ServiceWeeks]:
    day = thimphu_day(InterviewVersion.received_at, dialect)
    rows = session.execute(
        select(Service.code, day, func.sum(InterviewVersion.score_composite),
               func.count(InterviewVersion.score_composite))
        .select_from(InterviewVersion).join(Case, Case.id == InterviewVersion.case_id)
        .join(Service, Service.id == Case.service_id)
        .where(InterviewVersion.primary.is_(True), InterviewVersion.received_at >= since,
               InterviewVersion.score_composite.is_not(None))
        .group_by(Service.code, day))
    index = {monday: n for n, monday in enumerate(mondays)}
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(mondays))
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(mondays))
    for code, text, total, n in rows:
        found = date.fromisoformat(text)
        week = index.get(found - timedelta(days=found.weekday()))
        if week is not None:
            sums[code][week] += float(total or 0)
            counts[code][week] += int(n)
    return [ServiceWeeks(service_code=code,
                         composite=[s / n if n else None
                                    for s, n in zip(sums[code], counts[code], strict=True)],
                         interviews=counts[code])
            for code in sorted(sums)]
