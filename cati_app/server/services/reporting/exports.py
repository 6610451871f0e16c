"""The queries behind the analyst export: plain records for cati_app.reports to write.

Counts and sums are done by the database (GROUP BY); interviews and attempts are streamed
with ``yield_per`` so 100,000 of them never sit in memory at once. Respondent names, phone
numbers and attempt notes are only selected when the export includes personal data.

Use ``gathered`` (not ``gather``) inside a read transaction (``AppContext.read``): it closes
the streams whatever happens. A half-read SQLite cursor left open keeps its connection's read
snapshot after the rollback; back in the pool, that connection's every later write failed with
"database is locked" (503), about a third of logins, pushes and claims after one failed export.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Float, Select, func, select, type_coerce
from sqlalchemy.orm import Session

from cati_app.core.protocol_supervision import ResponseRates
from cati_app.core.questionnaire import Questionnaire, default_questionnaire
from cati_app.core.rates import RATE_FORMULAS
from cati_app.reports.records import (
    AttemptRecord,
    EnumeratorRecord,
    ExportData,
    ExportFilters,
    InterviewRecord,
    RatesRecord,
    ServiceInfo,
)
from cati_app.server.errors import NotFound
from cati_app.server.models import (
    Case,
    ContactAttempt,
    InterviewVersion,
    QuestionnaireVersion,
    Service,
    User,
)
from cati_app.server.services.catalogue.catalogue import questionnaire
from cati_app.server.services.complaints import tickets
from cati_app.server.services.reporting import reporting
from cati_app.server.services.sampling.reports import draws_for_export as sample_reports

EXPORTED = ("complete", "partial")
CHUNK = 2000
ALL_LABEL = "All selected"
Row = TypeVarTuple("Row")


def gather(session: Session, filters: ExportFilters, now: datetime) -> ExportData:
    """Everything the workbook needs; interviews and attempts are lazy streams that must be
    consumed (interviews first) while ``session`` is still open. ``filters`` were checked
    when they were built (``ExportFilters``); every query here reads them as they are."""
    services = _services(session, filters)
    scripts, notes = _questionnaires(session, filters)
    return ExportData(
        filters=filters, generated_at=now,
        services=[ServiceInfo(s.code, s.name) for s in services], questionnaires=scripts,
        rates=_rates(session, filters, services), enumerators=_enumerators(session, filters),
        interviews=interviews(session, filters), attempts=attempts(session, filters),
        notes=notes, draws=sample_reports(session, filters), tickets=tickets.for_export(
            session, service_ids=[s.id for s in services], date_from=filters.date_from,
            date_to=filters.date_to))


@contextmanager
def gathered(session: Session, filters: ExportFilters, now: datetime) -> Iterator[ExportData]:
    """``gather``, with its streams (and their database cursors) closed when the block ends,
    however it ends, before the transaction does."""
    data = gather(session, filters, now)
    try:
        yield data
    finally:
        for stream in (data.interviews, data.attempts):
            close = getattr(stream, "close", None)
            if close is not None:
                close()


def _services(session: Session, filters: ExportFilters) -> list[Service]:
    query = select(Service).order_by(Service.code)
    if not filters.services:
        return list(session.scalars(query))
    found = list(session.scalars(query.where(Service.code.in_(filters.services))))
    missing = sorted(set(filters.services) - {service.code for service in found})
    if missing:
        raise NotFound(f"no service with code {', '.join(repr(m) for m in missing)}: "
                       "add it first (cati-server add-service)")
    return found


def _case_filter(filters: ExportFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.services:
        where.append(Service.code.in_(filters.services))
    if filters.date_from:
        where.append(Case.date_availed >= filters.date_from)
    if filters.date_to:
        where.append(Case.date_availed <= filters.date_to)
    return where


def _exported_interviews(query: Select[*Row], filters: ExportFilters) -> Select[*Row]:
    return (query.join(Case, Case.id == InterviewVersion.case_id)
            .join(Service, Service.id == Case.service_id)
            .where(InterviewVersion.primary.is_(True),
                   InterviewVersion.completion.in_(EXPORTED), *_case_filter(filters)))


def _questionnaires(session: Session, filters: ExportFilters
                    ) -> tuple[dict[tuple[str, int], Questionnaire], list[str]]:
    """Each version the exported interviews use. A version the server never received (an old
    client's) is scored with the newest version of the same script, and the sheet says so."""
    used = session.execute(_exported_interviews(
        select(InterviewVersion.questionnaire_id, InterviewVersion.questionnaire_version)
        .select_from(InterviewVersion), filters).distinct()).all()
    scripts: dict[tuple[str, int], Questionnaire] = {}
    notes = []
    for qid, version in used:
        script = questionnaire(session, qid, version)
        if script is None:
            script = _newest(session, qid)
            notes.append(f"Questionnaire {qid} version {version} is not on the server: its "
                         f"interviews are scored with version {script.version}.")
        scripts[(qid, version)] = script
    if not scripts:  # no interviews: the default script still gives the columns
        script = default_questionnaire()
        scripts[(script.id, script.version)] = script
    return scripts, notes


def _newest(session: Session, qid: str) -> Questionnaire:
    latest = session.scalar(select(func.max(QuestionnaireVersion.version))
                            .where(QuestionnaireVersion.qid == qid))
    found = questionnaire(session, qid, latest) if latest is not None else None
    return found or default_questionnaire()


def _rates(session: Session, filters: ExportFilters, services: list[Service]
           ) -> list[RatesRecord]:
    """Per service, then all selected services together, from the response-rate report."""
    everything = [s.id for s in services] if filters.services else None
    rows = [(s.code, [s.id]) for s in services] + [(ALL_LABEL, everything)]
    return [_rates_record(label, reporting.rates_over(
        session, service_ids=ids, date_from=filters.date_from, date_to=filters.date_to,
        label=label)) for label, ids in rows]


def _rates_record(label: str, report: ResponseRates) -> RatesRecord:
    # None stays None: "not computable" from core.rates to the (empty) cell
    return RatesRecord(label=label, counts=dict(report.counts), e=report.e,
                       e_method=report.e_method,
                       rates={name: report.rates.get(name) for name in RATE_FORMULAS},
                       note=report.note)


def _seconds(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    """end - start in seconds, in SQL (the dialects differ)."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    # SQLAlchemy types every EXTRACT as an integer; the epoch of an interval has a fraction
    # (numeric on PostgreSQL): the same SQL, read as the float it is
    return type_coerce(func.extract("epoch", end - start), Float)


def _enumerators(session: Session, filters: ExportFilters) -> list[EnumeratorRecord]:
    """Every user with an attempt or a primary complete interview on the selected cases."""
    calls = {user_id: (n, float(seconds or 0)) for user_id, n, seconds in session.execute(
        select(ContactAttempt.user_id, func.count(),
               func.sum(_seconds(session, ContactAttempt.started_at, ContactAttempt.ended_at)))
        .join(Case, Case.id == ContactAttempt.case_id)
        .join(Service, Service.id == Case.service_id)
        .where(*_case_filter(filters)).group_by(ContactAttempt.user_id))}
    interviews_query = _exported_interviews(
        select(InterviewVersion.user_id, func.count(),
               func.avg(_seconds(session, InterviewVersion.started_at,
                                 InterviewVersion.ended_at))).select_from(InterviewVersion),
        filters).where(InterviewVersion.completion == "complete")
    completes = {user_id: (n, seconds) for user_id, n, seconds in session.execute(
        interviews_query.group_by(InterviewVersion.user_id))}
    people = session.execute(select(User.id, User.username, User.full_name)
                             .where(User.id.in_(set(calls) | set(completes)))
                             .order_by(User.username)).all()
    records = []
    for user_id, username, full_name in people:
        n_calls, seconds = calls.get(user_id, (0, 0.0))
        n_completes, mean_seconds = completes.get(user_id, (0, None))
        records.append(EnumeratorRecord(
            username=username, full_name=full_name, attempts=n_calls, completes=n_completes,
            hours_working=seconds / 3600,
            mean_interview_minutes=None if mean_seconds is None else float(mean_seconds) / 60))
    return records


def interviews(session: Session, filters: ExportFilters) -> Iterator[InterviewRecord]:
    pii = ((Case.respondent_name, Case.phone1, Case.phone2, Case.phone3)
           if filters.include_pii else ())
    query = _exported_interviews(select(
        Case.id, Service.code, Case.dzongkhag, Case.office, Case.date_availed, User.username,
        InterviewVersion.started_at, InterviewVersion.ended_at, InterviewVersion.language,
        InterviewVersion.questionnaire_id, InterviewVersion.questionnaire_version,
        InterviewVersion.completion, InterviewVersion.answers, *pii)
        .select_from(InterviewVersion), filters).join(
        User, User.id == InterviewVersion.user_id).order_by(Case.id, InterviewVersion.id)
    # ``with``: closing this generator closes the cursor at once, not when it is collected
    with session.execute(query.execution_options(yield_per=CHUNK)) as result:
        for row in result:
            (case_id, service_code, dzongkhag, office, date_availed, enumerator, started_at,
             ended_at, language, questionnaire_id, questionnaire_version, completion, answers,
             *personal) = row
            name, phones = None, ()
            if filters.include_pii:
                name, phones = personal[0], tuple(p for p in personal[1:] if p)
            yield InterviewRecord(
                case_id=case_id, service_code=service_code, dzongkhag=dzongkhag, office=office,
                date_availed=date_availed, enumerator=enumerator, started_at=started_at,
                ended_at=ended_at, language=language, questionnaire_id=questionnaire_id,
                questionnaire_version=questionnaire_version, completion=completion,
                answers=answers, respondent_name=name, phones=phones)


def attempts(session: Session, filters: ExportFilters) -> Iterator[AttemptRecord]:
    note = (ContactAttempt.note,) if filters.include_pii else ()
    query = (select(ContactAttempt.case_id, Service.code, User.username,
                    ContactAttempt.started_at, ContactAttempt.phone_index,
                    ContactAttempt.outcome, ContactAttempt.aapor_code, ContactAttempt.stale,
                    *note)
             .join(Case, Case.id == ContactAttempt.case_id)
             .join(Service, Service.id == Case.service_id)
             .join(User, User.id == ContactAttempt.user_id)
             .where(*_case_filter(filters))
             .order_by(ContactAttempt.case_id, ContactAttempt.started_at, ContactAttempt.id))
    with session.execute(query.execution_options(yield_per=CHUNK)) as result:
        for row in result:
            yield AttemptRecord(*row)
