"""Report queries for analysts and supervisors: fieldwork progress and AAPOR response rates.

All counting is done by the database with GROUP BY; no case is loaded into Python, so the
reports stay quick with hundreds of thousands of cases. Scores are added up from the ones
stored with each interview version (services.reporting.stored_scores), never re-scored here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from cati_app.core.clock import THIMPHU, to_thimphu
from cati_app.core.dispositions import bucket_of
from cati_app.core.protocol import Role
from cati_app.core.rates import COUNT_KEYS, aapor_rates, eligibility_rate
from cati_app.server.errors import Unprocessable
from cati_app.server.models import (
    Assignment,
    Case,
    CaseState,
    ContactAttempt,
    InterviewVersion,
    User,
)
from cati_app.server.models import Service as ServiceRow
from cati_app.server.schemas import (
    EnumeratorProgress,
    ProgressReport,
    ResponseRates,
    ServiceProgress,
)
from cati_app.server.services.catalogue.catalogue import service_by_code

COMPLETE = "complete"

# --- progress ------------------------------------------------------------------------------


def thimphu_day(now: datetime) -> tuple[date, datetime, datetime]:
    """The Thimphu calendar day of ``now`` and its start and end in UTC."""
    day = to_thimphu(now).date()
    start = datetime.combine(day, time(), THIMPHU).astimezone(UTC)
    return day, start, start + timedelta(days=1)


def progress(session: Session, now: datetime) -> ProgressReport:
    """Per service and per enumerator: cases by state, completes today (primary interview
    versions judged complete that the server received today, Thimphu time), attempts in all
    and today (received today), and the mean composite score.
    An enumerator's cases are the ones it holds now, and each other case counts for the
    enumerator who held it last (handed back to the pool, gone to a supervisor, closed)."""
    day, start, end = thimphu_day(now)
    window = _Window(start, end, now - timedelta(hours=1), now)
    tallies = _tallies(session, window)
    services = [
        ServiceProgress(service_code=s.code, service_name=s.name,
                        total_cases=sum(tallies.service(s.id)["cases_by_state"].values()),
                        **tallies.service(s.id))
        for s in session.scalars(select(ServiceRow).order_by(ServiceRow.code))]
    enumerators = [
        EnumeratorProgress(username=u.username, full_name=u.full_name, active=u.active,
                           **tallies.user(u.id))
        for u in session.scalars(select(User).where(User.role == Role.enumerator.value)
                                 .order_by(User.username))]
    return ProgressReport(day=day, generated_at=now, services=services,
                          enumerators=enumerators)


@dataclass(frozen=True)
class _Window:
    """Today (Thimphu) and the last hour, in UTC."""

    start: datetime
    end: datetime
    hour_start: datetime
    hour_end: datetime


@dataclass
class _Counts:
    """What the report shows for one service or one enumerator, added up from the grouped
    rows (one row per service and user) of the three queries."""

    cases_by_state: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(CaseState.ALL, 0))
    completes_today: int = 0
    attempts_total: int = 0
    attempts_today: int = 0
    attempts_last_hour: int = 0
    composite_sum: float = 0.0
    interviews_scored: int = 0

    def report(self) -> dict[str, Any]:
        composite = (self.composite_sum / self.interviews_scored if self.interviews_scored
                     else None)
        return {"cases_by_state": dict(self.cases_by_state),
                "completes_today": self.completes_today, "attempts_total": self.attempts_total,
                "attempts_today": self.attempts_today,
                "attempts_last_hour": self.attempts_last_hour, "composite": composite,
                "interviews_scored": self.interviews_scored}


@dataclass
class _Tallies:
    by_service: dict[int, _Counts] = field(default_factory=lambda: defaultdict(_Counts))
    by_user: dict[int, _Counts] = field(default_factory=lambda: defaultdict(_Counts))

    def both(self, service_id: int, user_id: int | None) -> tuple[_Counts, ...]:
        """The service's counts and, when there is a user, the user's."""
        if user_id is None:
            return (self.by_service[service_id],)
        return self.by_service[service_id], self.by_user[user_id]

    def service(self, service_id: int) -> dict[str, Any]:
        return self.by_service.get(service_id, _Counts()).report()

    def user(self, user_id: int) -> dict[str, Any]:
        return self.by_user.get(user_id, _Counts()).report()


def _holder_or_last_holder() -> ColumnElement[int | None]:
    """The case's holder; for a case nobody holds, the enumerator of its latest assignment
    (closing or returning a case clears the holder, so holder_id alone left an enumerator's
    queued and closed cases at 0). The lookup runs only for cases without a holder, on the
    (case_id, version) unique index."""
    last = (select(Assignment.user_id).where(Assignment.case_id == Case.id)
            .order_by(Assignment.version.desc()).limit(1).scalar_subquery())
    # a case never assigned has no assignment to look up (most cases early in fieldwork)
    return func.coalesce(Case.holder_id,
                         case((Case.assignment_version > 0, last), else_=None))


def _tallies(session: Session, window: _Window) -> _Tallies:
    """Each kind of count is one GROUP BY (service, user) query, folded here into per-service
    and per-user counts: the big tables (cases, attempts, interviews) are read once each."""
    tallies = _Tallies()
    # the key worked out once per case: the holder, or for a case nobody holds the last one
    keyed = select(Case.service_id, _holder_or_last_holder().label("user_id"),
                   Case.state).subquery()
    for service_id, holder_id, state, n in session.execute(
            select(keyed.c.service_id, keyed.c.user_id, keyed.c.state, func.count())
            .group_by(keyed.c.service_id, keyed.c.user_id, keyed.c.state)):
        for counts in tallies.both(service_id, holder_id):
            counts.cases_by_state[state] = counts.cases_by_state.get(state, 0) + n
    for service_id, user_id, total, n_today, n_hour in session.execute(_attempts(window)):
        for counts in tallies.both(service_id, user_id):
            counts.attempts_total += total
            counts.attempts_today += int(n_today or 0)
            counts.attempts_last_hour += int(n_hour or 0)
    for service_id, user_id, n_today, total, n_scored in session.execute(_interviews(window)):
        for counts in tallies.both(service_id, user_id):
            counts.completes_today += int(n_today or 0)
            counts.composite_sum += float(total or 0.0)
            counts.interviews_scored += int(n_scored or 0)
    return tallies


def _attempts(window: _Window) -> Select[Any, Any, Any, Any, Any]:
    # "today" is when the server received the work: a device's clock may be wrong, and work
    # done offline yesterday and sent this morning is this morning's news to a supervisor
    today = case((and_(ContactAttempt.received_at >= window.start,
                       ContactAttempt.received_at < window.end), 1), else_=0)
    last_hour = case((and_(ContactAttempt.started_at >= window.hour_start,
                           ContactAttempt.started_at < window.hour_end), 1), else_=0)
    # the attempt carries its case's service (migration 0011_h14push): no join of the cases
    return (select(ContactAttempt.service_id, ContactAttempt.user_id, func.count(),
                   func.sum(today), func.sum(last_hour))
            .group_by(ContactAttempt.service_id, ContactAttempt.user_id))


SCORED = ("complete", "partial")


def _interviews(window: _Window) -> Select[Any, Any, Any, Any, Any]:
    """Over the primary complete and partial interviews: completes received today (see
    "today" above) and the sum and number of their stored composite scores (NULL, not
    counted, where nothing scored; services.reporting.stored_scores)."""
    received = InterviewVersion.received_at
    today = case((and_(InterviewVersion.completion == COMPLETE, received >= window.start,
                       received < window.end), 1), else_=0)
    composite = InterviewVersion.score_composite
    return (select(Case.service_id, InterviewVersion.user_id, func.sum(today),
                   func.sum(composite), func.count(composite))
            .select_from(InterviewVersion).join(Case, Case.id == InterviewVersion.case_id)
            .where(InterviewVersion.primary.is_(True), InterviewVersion.completion.in_(SCORED))
            .group_by(Case.service_id, InterviewVersion.user_id))


# --- response rates ------------------------------------------------------------------------

Row = TypeVarTuple("Row")
E_METHOD = "proportional estimate: (I+P+R+NC+O) / (I+P+R+NC+O+NE)"


def response_rates(session: Session, *, service: str | None, date_from: date | None,
                   date_to: date | None) -> ResponseRates:
    """AAPOR rates over the cases matching the filters; ``date_from``/``date_to`` (inclusive)
    select cases by the date the respondent availed the service."""
    ids = [service_by_code(session, service).id] if service else None
    return rates_over(session, service_ids=ids, date_from=date_from, date_to=date_to,
                      label=service.strip().upper() if service else None)


def rates_over(session: Session, *, service_ids: Sequence[int] | None, date_from: date | None,
               date_to: date | None, label: str | None) -> ResponseRates:
    """``response_rates`` of the cases of some services (None: every service), the filters
    already checked; ``label`` names them in the report."""
    query = rate_filters(select(Case.disposition_code, Case.state, func.count()),
                         service_ids=service_ids, date_from=date_from, date_to=date_to)
    rows = session.execute(query.group_by(Case.disposition_code, Case.state))
    return rates_of(rows, label=label, date_from=date_from, date_to=date_to)


def rate_filters(query: Select[*Row], *, service_ids: Sequence[int] | None,
                 date_from: date | None, date_to: date | None) -> Select[*Row]:
    """The cases a rate counts: of some services (None: all), availed between two dates
    (inclusive)."""
    if date_from and date_to and date_from > date_to:
        raise Unprocessable("'from' is after 'to': swap the dates")
    if service_ids is not None:
        query = query.where(Case.service_id.in_(service_ids))
    if date_from:
        query = query.where(Case.date_availed >= date_from)
    if date_to:
        query = query.where(Case.date_availed <= date_to)
    return query


def rates_of(rows: Iterable[tuple[str | None, str, int]], *, label: str | None,
             date_from: date | None, date_to: date | None) -> ResponseRates:
    """AAPOR counts and rates from (disposition code, state, cases) rows."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    total = open_counted = not_attempted = 0
    unclassified: dict[str, int] = {}
    for code, state, n in rows:
        if code is None:
            # AAPOR 3.11 "not yet attempted": unknown whether the number reaches anyone
            not_attempted += n
            counts["UH"] += n
        else:
            try:
                counts[bucket_of(code).value] += n
            except ValueError:  # a bad code in the data must not hide every other number
                unclassified[code] = n
                continue
            open_counted += n if state != CaseState.CLOSED else 0
        total += n
    # None (JSON null) where a figure cannot be computed, as core.rates gives it
    return ResponseRates(
        service=label, date_from=date_from, date_to=date_to, counts=counts,
        e=eligibility_rate(counts), e_method=E_METHOD, rates=aapor_rates(counts),
        cases_total=total, cases_open=open_counted, cases_not_attempted=not_attempted,
        note=_note(open_counted, not_attempted, unclassified))


def _note(open_counted: int, not_attempted: int, unclassified: dict[str, int]) -> str:
    parts = ["Closed cases count by their final disposition."]
    if open_counted:
        parts.append(f"{open_counted} open cases count by their provisional disposition "
                     "(the best outcome so far), so the rates will move until fieldwork closes.")
    if not_attempted:
        parts.append(f"{not_attempted} cases not yet attempted count as UH "
                     "(AAPOR 3.11, not yet attempted).")
    if unclassified:
        listed = ", ".join(f"{code!r} ({n})" for code, n in sorted(unclassified.items()))
        parts.append(f"Left out, not AAPOR codes: {listed}; correct these cases.")
    parts.append("A rate that is null cannot be computed: its denominator is zero.")
    return " ".join(parts)
