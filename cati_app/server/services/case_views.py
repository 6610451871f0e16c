"""Read views of cases: the holder's full view (``QueueCase``, sent by claims and the feed) and
the supervisor's case table (filtered, paged, counted).

The case table must stay quick at 100,000 cases: every filter is on an indexed column
(state, holder_id, service_id, batch_id), names are resolved to ids first so those indexes
apply, the page is one query with its joins and the total is one COUNT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from cati_app.core.phones import format_for_reading
from cati_app.core.protocol import Appointment, AppointmentKind, AttemptSummary, QueueCase
from cati_app.server.models import Case, ContactAttempt, Service, User
from cati_app.server.schemas import CasePage, CaseRow
from cati_app.server.services.catalogue import latest_questionnaire


def queue_case_view(session: Session, case: Case) -> QueueCase:
    """Everything the holder's device needs to call the case, contact details included.
    Only ever send this to the case's holder (DESIGN.md §5)."""
    return queue_case_views(session, [case])[0]


def queue_case_views(session: Session, cases: Sequence[Case]) -> list[QueueCase]:
    """``queue_case_view`` for many cases with a fixed number of queries (a claim of 200
    cases must not cost 800 round trips)."""
    ids = [c.id for c in cases]
    services = {s.id: s for s in session.scalars(
        select(Service).where(Service.id.in_({c.service_id for c in cases} or {-1})))}
    scripts = {qid: latest_questionnaire(session, qid)
               for qid in {s.questionnaire_id for s in services.values()}}
    attempts = _attempt_summaries(session, ids)
    bookers = _usernames(session, {c.appointment_by for c in cases} - {None})
    views = []
    for case in cases:
        service = services[case.service_id]
        script = scripts[service.questionnaire_id]
        views.append(QueueCase(
            case_id=case.id, assignment_version=case.assignment_version,
            service_code=service.code, service_name=service.name,
            questionnaire_id=script.qid, questionnaire_version=script.version,
            priority=case.priority, respondent_name=case.respondent_name,
            phones=case.phones(), office=case.office, dzongkhag=case.dzongkhag,
            date_availed=case.date_availed, language=case.language,
            attempts=attempts.get(case.id, []), next_call_at=case.next_call_at,
            appointment=_appointment(case, bookers), state=case.state,
            correction=case.correction))
    return views


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


def _appointment(case: Case, bookers: dict[int, str]) -> Appointment | None:
    if case.appointment_at is None:
        return None
    return Appointment(at=case.appointment_at,
                       kind=AppointmentKind(case.appointment_kind or AppointmentKind.soft),
                       booked_by=bookers.get(case.appointment_by or -1, ""))


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
    page_query = _filtered(
        select(Case, Service.code, holder.username)
        .join(Service, Service.id == Case.service_id)
        .outerjoin(holder, holder.id == Case.holder_id), where)
    count_query = _filtered(select(func.count(Case.id)), where)
    total = session.scalar(count_query) or 0
    rows = session.execute(page_query.order_by(Case.id).limit(limit).offset(offset))
    return CasePage(total=total, limit=limit, offset=offset,
                    cases=[_case_row(case, code, username) for case, code, username in rows])


def _filtered(query: Select, where: CaseFilter) -> Select:  # type: ignore[type-arg]
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
                                  for column in (Case.respondent_name, Case.office,
                                                 Case.dzongkhag)]))
    return query


def _case_row(case: Case, service_code: str, holder: str | None) -> CaseRow:
    return CaseRow(
        case_id=case.id, service_code=service_code, batch_id=case.batch_id,
        respondent_name=case.respondent_name,
        phones=[format_for_reading(p) for p in case.phones()],
        office=case.office, dzongkhag=case.dzongkhag, date_availed=case.date_availed,
        priority=case.priority, state=case.state, holder=holder,  # type: ignore[arg-type]
        assignment_version=case.assignment_version, attempts=case.attempt_count,
        disposition=case.disposition, disposition_code=case.disposition_code,
        next_call_at=case.next_call_at, appointment_at=case.appointment_at,
        updated_at=case.updated_at,
    )
