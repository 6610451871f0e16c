"""Read views of cases: the holder's full view (``QueueCase``, sent by claims and the feed) and
the supervisor's case table (filtered, paged, counted).

The case table must stay quick at 100,000 cases: every filter is on an indexed column
(state, holder_id, service_id, batch_id), names are resolved to ids first so those indexes
apply, the text search narrows by a trigram index on PostgreSQL (``searched_text``), the page
is one query with its joins and the total is one COUNT.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, false, func, literal_column, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, aliased

from cati_app.core.phones import masked_for_display
from cati_app.core.protocol import (
    Appointment,
    AppointmentKind,
    AttemptSummary,
    Correction,
    QueueCase,
)
from cati_app.server.errors import NotFound
from cati_app.server.models import (
    Case,
    CaseFlag,
    ContactAttempt,
    QuestionnaireVersion,
    Service,
    User,
)
from cati_app.server.schemas import CaseKey, CasePage, CaseRow, MatchingCases
from cati_app.server.services.cases.do_not_call import blocked_numbers

#: the columns of a query that ``_filtered`` narrows and hands back with the same row type
Row = TypeVarTuple("Row")


def queue_case_view(session: Session, case: Case) -> QueueCase:
    """Everything the holder's device needs to call the case, contact details included.
    Only ever send this to the case's holder (DESIGN.md §5)."""
    return queue_case_views(session, [case])[0]


def queue_case_views(session: Session, cases: Sequence[Case],
                     language_may_not_match: Collection[int] = ()) -> list[QueueCase]:
    """``queue_case_view`` for many cases with a fixed number of queries (a claim of 200
    cases must not cost 800 round trips). ``language_may_not_match``: the ids of cases the
    claim handed out by the routing's starvation fallback (issue 18)."""
    ids = [c.id for c in cases]
    # each service with its questionnaire's newest version, in one statement
    newest = (select(func.max(QuestionnaireVersion.version))
              .where(QuestionnaireVersion.qid == Service.questionnaire_id).scalar_subquery())
    services, versions = {}, {}
    for service, version in session.execute(
            select(Service, newest).where(Service.id.in_({c.service_id for c in cases} or {-1}))):
        services[service.id], versions[service.questionnaire_id] = service, version
    attempts = _attempt_summaries(session, ids)
    bookers = _usernames(session, {c.appointment_by for c in cases
                                   if c.appointment_by is not None})
    blocked = blocked_numbers(session, [p for c in cases for p in c.phones()])
    views = []
    for case in cases:
        service = services[case.service_id]
        views.append(_view(
            case, service_code=service.code, service_name=service.name,
            questionnaire_id=service.questionnaire_id,
            questionnaire_version=versions[service.questionnaire_id],
            phones=callable_phones([(p, p in blocked)
                                    for p in (case.phone1, case.phone2, case.phone3)]),
            attempts=attempts.get(case.id, []),
            booked_by=bookers.get(case.appointment_by or -1, ""),
            language_may_not_match=case.id in language_may_not_match))
    return views


def held_case_view(row: Any, *, language_may_not_match: bool) -> QueueCase:
    """The view of one case from a row of the PostgreSQL claim's reply (``claim_statement``:
    the case's columns, its service's, the booker's name, attempts as JSON, blocked flags)."""
    return _view(
        row, service_code=row.service_code, service_name=row.service_name,
        questionnaire_id=row.questionnaire_id, questionnaire_version=row.questionnaire_version,
        phones=callable_phones([(row.phone1, row.blocked1), (row.phone2, row.blocked2),
                                (row.phone3, row.blocked3)]),
        attempts=[_summary_from_json(a) for a in row.attempts or ()],
        booked_by=row.booked_by or "", language_may_not_match=language_may_not_match)


def callable_phones(numbers: Iterable[tuple[str | None, bool]]) -> list[str]:
    """The case's numbers, each on the do-not-call register sent as an empty string: left
    out, but in its place, so a ``phone_index`` still names the same number on both sides."""
    listed = [(phone, blocked) for phone, blocked in numbers if phone]
    return ["" if blocked else phone for phone, blocked in listed]


def _view(case: Any, *, service_code: str, service_name: str, questionnaire_id: str,
          questionnaire_version: int | None, phones: list[str], attempts: list[AttemptSummary],
          booked_by: str, language_may_not_match: bool) -> QueueCase:
    """``case``: a Case, or a row with the same column names."""
    if questionnaire_version is None:
        raise NotFound(f"no questionnaire {questionnaire_id!r} is loaded: run "
                       "cati-server init or demo")
    appointment = None if case.appointment_at is None else Appointment(
        at=case.appointment_at,
        kind=AppointmentKind(case.appointment_kind or AppointmentKind.soft),
        booked_by=booked_by)
    return QueueCase(
        case_id=case.id, assignment_version=case.assignment_version,
        service_code=service_code, service_name=service_name,
        questionnaire_id=questionnaire_id, questionnaire_version=questionnaire_version,
        priority=case.priority, respondent_name=case.respondent_name, phones=phones,
        office=case.office, dzongkhag=case.dzongkhag, date_availed=case.date_availed,
        language=case.language, language_may_not_match=language_may_not_match,
        attempts=attempts, next_call_at=case.next_call_at, appointment=appointment,
        state=case.state,
        correction=Correction.model_validate(case.correction) if case.correction else None)


def _summary_from_json(item: dict[str, Any]) -> AttemptSummary:
    summary = AttemptSummary.model_validate(item)
    # PostgreSQL writes a time in JSON with the session's offset: the same instant, in UTC
    return summary.model_copy(update={"started_at": summary.started_at.astimezone(UTC)})


def _attempt_summaries(session: Session, case_ids: list[int]
                       ) -> dict[int, list[AttemptSummary]]:
    rows = session.execute(
        select(ContactAttempt, User.username)
        .join(User, User.id == ContactAttempt.user_id)
        .where(ContactAttempt.case_id.in_(case_ids or [-1]))
        .order_by(ContactAttempt.case_id, ContactAttempt.started_at, ContactAttempt.id)
    )
    summaries: dict[int, list[AttemptSummary]] = {}
    for a, username in rows:
        summaries.setdefault(a.case_id, []).append(AttemptSummary(
            started_at=a.started_at, outcome=a.outcome, aapor_code=a.aapor_code,
            phone_index=a.phone_index, note=a.note, enumerator=username))
    return summaries


def _usernames(session: Session, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(user_ids)))
                .all())


@dataclass(frozen=True)
class CaseFilter:
    state: str | None = None
    holder: str | None = None  # username
    service: str | None = None  # service code
    batch: int | None = None
    #: a number is a case id; other text matches part of the respondent name, office or
    #: dzongkhag. Personal data: never log it.
    text: str | None = None


def list_cases(session: Session, where: CaseFilter, *, limit: int, offset: int) -> CasePage:
    holder = aliased(User)
    trigram = session.get_bind().dialect.name == "postgresql"
    page_query = _filtered(
        select(Case, Service.code, holder.username)
        .join(Service, Service.id == Case.service_id)
        .outerjoin(holder, holder.id == Case.holder_id), where, trigram)
    count_query = _filtered(select(func.count(Case.id)), where, trigram)
    total = session.scalar(count_query) or 0
    rows = session.execute(page_query.order_by(Case.id).limit(limit).offset(offset)).all()
    marks = _case_marks(session, [case.id for case, _, _ in rows])
    return CasePage(total=total, limit=limit, offset=offset,
                    cases=[_case_row(case, code, username, marks.get(case.id))
                           for case, code, username in rows])


def matching_cases(session: Session, where: CaseFilter, *, cap: int) -> MatchingCases:
    """The keys of every case the filters match (for "act on all of them"), up to ``cap``."""
    holder = aliased(User)
    total = session.scalar(_filtered(select(func.count(Case.id)), where)) or 0
    rows = session.execute(_filtered(
        select(Case.id, Case.state, holder.username, Case.priority)
        .outerjoin(holder, holder.id == Case.holder_id), where).order_by(Case.id).limit(cap))
    return MatchingCases(total=total, cases=[
        CaseKey(case_id=i, state=state, holder=username, priority=priority)
        for i, state, username, priority in rows])


@dataclass
class _Marks:
    attempts: int = 0
    stale: int = 0
    flags: set[str] = field(default_factory=set)


def _case_marks(session: Session, case_ids: list[int]) -> dict[int, _Marks]:
    """Attempt counts and flags of one page: one grouped query over the attempts and one over
    the flags. The count comes from the attempts themselves, not ``Case.attempt_count``, which
    a former holder's offline (stale) calls never update."""
    marks: dict[int, _Marks] = {}
    if not case_ids:
        return marks
    stale = sql_case((ContactAttempt.stale.is_(True), 1), else_=0)
    stale_hard = sql_case((and_(ContactAttempt.stale.is_(True),
                            ContactAttempt.appointment_kind == "hard",
                            ContactAttempt.appointment_at.is_not(None)), 1), else_=0)
    for case_id, attempts, stale_count, hard in session.execute(
            select(ContactAttempt.case_id, func.count(), func.sum(stale), func.max(stale_hard))
            .where(ContactAttempt.case_id.in_(case_ids)).group_by(ContactAttempt.case_id)):
        mark = marks.setdefault(case_id, _Marks())
        mark.attempts, mark.stale = attempts, int(stale_count or 0)
        if mark.stale:
            mark.flags.add("stale_attempts")
        if hard:
            mark.flags.add("stale_hard_appointment")
    for case_id, kind in session.execute(
            select(CaseFlag.case_id, CaseFlag.kind).where(CaseFlag.case_id.in_(case_ids))
            .distinct()):
        marks.setdefault(case_id, _Marks()).flags.add(kind)
    return marks


def _filtered(query: Select[*Row], where: CaseFilter, trigram: bool = False) -> Select[*Row]:
    if where.state:
        query = query.where(Case.state == where.state)
    if where.holder:
        query = query.where(Case.holder_id == select(User.id)
                            .where(User.username == where.holder).scalar_subquery())
    if where.service:
        query = query.where(Case.service_id == select(Service.id)
                            .where(Service.code == where.service.strip().upper())
                            .scalar_subquery())
    if where.batch is not None:
        query = query.where(Case.batch_id == where.batch)
    text = (where.text or "").strip()
    if text.isdecimal() and text.isascii():
        # a bare number is a case id: the primary key answers at once, where a substring
        # search must read every name (100,000 cases: ~0.4 s on PostgreSQL without trigram
        # indexes)
        query = query.where(Case.id == int(text) if len(text) <= 18 else false())
    elif text:
        query = query.where(or_(*[column.icontains(text, autoescape=True)
                                  for column in SEARCHED]))
        if trigram:
            # A match in any column is a match in their concatenation, which a trigram
            # index covers (migration 0006_h6): it finds the few candidate rows, the test
            # above keeps the exact ones. 100,000 cases: ~2 ms for a name instead of a
            # 0.2-0.5 s scan (bench/dashboard.py).
            query = query.where(searched_text().icontains(text, autoescape=True))
    return query


#: the columns the text filter searches
SEARCHED = (Case.respondent_name, Case.office, Case.dzongkhag)


def searched_text() -> ColumnElement[str]:
    """name || ' ' || office || ' ' || dzongkhag: the expression of the trigram index
    ix_cases_search_trgm, written as the migration writes it so PostgreSQL matches the two."""
    space: ColumnElement[str] = literal_column("' '")
    return (Case.respondent_name.concat(space).concat(Case.office).concat(space)
            .concat(Case.dzongkhag))


def _case_row(case: Case, service_code: str, holder: str | None, marks: _Marks | None
              ) -> CaseRow:
    marks = marks or _Marks()
    return CaseRow(
        case_id=case.id, service_code=service_code, batch_id=case.batch_id,
        respondent_name=case.respondent_name,
        phones=[masked_for_display(p) for p in case.phones()],
        office=case.office, dzongkhag=case.dzongkhag, date_availed=case.date_availed,
        priority=case.priority, state=case.state, holder=holder,
        assignment_version=case.assignment_version, attempts=marks.attempts,
        stale_attempts=marks.stale, flags=sorted(marks.flags),
        disposition=case.disposition, disposition_code=case.disposition_code,
        next_call_at=case.next_call_at, appointment_at=case.appointment_at,
        updated_at=case.updated_at,
    )
