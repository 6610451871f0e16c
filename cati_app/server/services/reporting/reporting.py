"""Report queries for analysts and supervisors: fieldwork progress and AAPOR response rates.

All counting is done by the database with GROUP BY; no case is loaded into Python, so the
reports stay quick with hundreds of thousands of cases.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from cati_app.core.clock import THIMPHU, to_thimphu
from cati_app.core.dispositions import bucket_of
from cati_app.core.protocol import Role
from cati_app.core.questionnaire import Questionnaire
from cati_app.core.questionnaire.scoring import score
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
from cati_app.server.services.catalogue.catalogue import questionnaire, service_by_code

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
    and today (received today).
    An enumerator's cases are the ones it holds now, and each other case counts for the
    enumerator who held it last (handed back to the pool, gone to a supervisor, closed)."""
    day, start, end = thimphu_day(now)
    window = _Window(start, end, now - timedelta(hours=1), now)
    tallies = {
        "service": _tallies(session, Case.service_id, Case.service_id, Case.service_id,
                            window),
        "user": _tallies(session, _holder_or_last_holder(), ContactAttempt.user_id,
                         InterviewVersion.user_id, window),
    }
    services = [
        ServiceProgress(service_code=s.code, service_name=s.name,
                        total_cases=sum(tallies["service"][s.id]["cases_by_state"].values()),
                        **tallies["service"][s.id])
        for s in session.scalars(select(ServiceRow).order_by(ServiceRow.code))]
    enumerators = [
        EnumeratorProgress(username=u.username, full_name=u.full_name, active=u.active,
                           **tallies["user"][u.id])
        for u in session.scalars(select(User).where(User.role == Role.enumerator.value)
                                 .order_by(User.username))]
    return ProgressReport(day=day, generated_at=now, services=services,
                          enumerators=enumerators)


Key = Any  # a column holding a service id or a user id


def _holder_or_last_holder() -> Key:
    """The case's holder; for a case nobody holds, the enumerator of its latest assignment
    (closing or returning a case clears the holder, so holder_id alone left an enumerator's
    queued and closed cases at 0). The lookup runs only for cases without a holder, on the
    (case_id, version) unique index."""
    last = (select(Assignment.user_id).where(Assignment.case_id == Case.id)
            .order_by(Assignment.version.desc()).limit(1).scalar_subquery())
    # a case never assigned has no assignment to look up (most cases early in fieldwork)
    return func.coalesce(Case.holder_id,
                         case((Case.assignment_version > 0, last), else_=None))


@dataclass(frozen=True)
class _Window:
    """Today (Thimphu) and the last hour, in UTC."""

    start: datetime
    end: datetime
    hour_start: datetime
    hour_end: datetime


def _tallies(session: Session, case_key: Key, attempt_key: Key, interview_key: Key,
             window: _Window) -> dict[int, dict[str, Any]]:
    """Counts per key, each kind from one GROUP BY query; a key with nothing counts zero."""
    start, end = window.start, window.end
    states: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CaseState.ALL, 0))
    # the key worked out once per case, however costly (a user's key may look one up)
    keyed = select(case_key.label("key"), Case.state.label("state")).subquery()
    for key, state, n in session.execute(
            select(keyed.c.key, keyed.c.state, func.count()).where(keyed.c.key.is_not(None))
            .group_by(keyed.c.key, keyed.c.state)):
        states[key][state] = n
    # "today" is when the server received the work: a device's clock may be wrong, and work
    # done offline yesterday and sent this morning is this morning's news to a supervisor
    today = case((and_(ContactAttempt.received_at >= start, ContactAttempt.received_at < end),
                  1), else_=0)
    last_hour = case((and_(ContactAttempt.started_at >= window.hour_start,
                           ContactAttempt.started_at < window.hour_end), 1), else_=0)
    attempts = {key: (total, int(n_today or 0), int(n_hour or 0))
                for key, total, n_today, n_hour in session.execute(
                    select(attempt_key, func.count(), func.sum(today), func.sum(last_hour))
                    .select_from(ContactAttempt).join(Case, Case.id == ContactAttempt.case_id)
                    .group_by(attempt_key))}
    ended = InterviewVersion.received_at  # received today (see "today" above)
    completes: dict[int, int] = dict(session.execute(
        select(interview_key, func.count()).select_from(InterviewVersion)
        .join(Case, Case.id == InterviewVersion.case_id)
        .where(InterviewVersion.completion == COMPLETE, InterviewVersion.primary.is_(True),
               ended >= start, ended < end)
        .group_by(interview_key)).all())
    composites = _composites(session, interview_key)
    keys = set(states) | set(attempts) | set(completes) | set(composites)

    def counts(key: int) -> dict[str, Any]:
        total, n_today, n_hour = attempts.get(key, (0, 0, 0))
        composite, scored = composites.get(key, (None, 0))
        return {"cases_by_state": states[key], "completes_today": completes.get(key, 0),
                "attempts_total": total, "attempts_today": n_today,
                "attempts_last_hour": n_hour, "composite": composite,
                "interviews_scored": scored}

    return defaultdict(lambda: counts(-1), {key: counts(key) for key in keys})


SCORED = ("complete", "partial")


def _composites(session: Session, interview_key: Key) -> dict[int, tuple[float | None, int]]:
    """Mean composite score (1–5) per key over the primary complete and partial interviews.

    Scoring needs the questionnaire (skip logic decides which answers count), so answers are
    streamed through Python in chunks, one questionnaire parse per version, never all at once.
    """
    scored = (InterviewVersion.primary.is_(True), InterviewVersion.completion.in_(SCORED))
    # the scripts first, so no query runs while the answers stream
    scripts: dict[tuple[str, int], Questionnaire | None] = {
        (qid, version): questionnaire(session, qid, version)
        for qid, version in session.execute(
            select(InterviewVersion.questionnaire_id, InterviewVersion.questionnaire_version)
            .where(*scored).distinct())}
    sums: dict[int, list[float]] = defaultdict(lambda: [0.0, 0])
    rows = session.execute(
        select(interview_key, InterviewVersion.questionnaire_id,
               InterviewVersion.questionnaire_version, InterviewVersion.answers)
        .select_from(InterviewVersion).join(Case, Case.id == InterviewVersion.case_id)
        .where(*scored).execution_options(yield_per=1000))
    for key, qid, version, answers in rows:
        script = scripts.get((qid, version))
        composite = score(script, answers).composite if script is not None else None
        if composite is not None:
            sums[key][0] += composite
            sums[key][1] += 1
    return {key: (total / n, int(n)) for key, (total, n) in sums.items()}


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
