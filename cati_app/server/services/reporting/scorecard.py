"""Agency scorecards (issue 16, DESIGN.md §9.2): the server's part is gathering rows.

This module reads the primary complete interviews of the services in scope (their stored
scores and indicator answers, never a name or phone number), works out each respondent's weight
from the cases drawn with an inclusion probability, and hands everything to
``cati_app.core.estimation.scorecard.build``, which decides every figure, interval and flag.
The API (``GET /v1/scorecard``), the web scorecard and the agency workbook all call
``build_scorecard``, with ``complaints`` (``services.complaints.summaries.reader``) so each
cell carries its period's complaint figures. Complaint call-back services (``-FU``) are left
out: their cases are call-backs, not ratings of a service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from cati_app.core.clock import THIMPHU, to_thimphu
from cati_app.core.dispositions import bucket_of
from cati_app.core.estimation import periods as period_labels
from cati_app.core.estimation.design import (
    Respondent,
    SampledCase,
    final_weight,
    nonresponse_factors,
)
from cati_app.core.estimation.figures import Rules
from cati_app.core.estimation.scorecard import ServiceInfo, build
from cati_app.core.outcomes import Bucket
from cati_app.core.protocol_scorecard import ComplaintSummary, PeriodKind, Scorecard
from cati_app.core.questionnaire import (
    PARAMETERS,
    Questionnaire,
    default_questionnaire,
    load_questionnaire,
)
from cati_app.core.questionnaire.scoring import likert_value
from cati_app.server.models import Case, InterviewVersion, QuestionnaireVersion, Service
from cati_app.server.models.sync import ReviewStatus
from cati_app.server.services.catalogue.catalogue import service_by_code
from cati_app.server.services.complaints.callbacks import is_follow_up_service
from cati_app.server.services.reporting.stored_scores import PARAMETER_COLUMNS, scorer_for
from cati_app.server.settings import Settings

COMPLETE = "complete"
#: complaint summaries by (service code, office; '' for the whole service)
Complaints = Mapping[tuple[str, str], ComplaintSummary]
#: a period's complaint summaries, from its first to its last day (both included)
ComplaintReader = Callable[[date, date], Complaints]


def build_scorecard(session: Session, settings: Settings, *, now: datetime,
                    period_kind: PeriodKind = "quarter", agency: str | None = None,
                    service_code: str | None = None, periods: int = 4,
                    complaints: ComplaintReader | None = None) -> Scorecard:
    """The scorecard of the last ``periods`` periods up to ``now`` (Thimphu time) for one
    agency's services (``agency``: the services' agency value), one service, or all.
    ``complaints``: reads each period's complaint summaries (None: no complaint figures)."""
    services = _services(session, agency, service_code)
    labels = period_labels.last_periods(to_thimphu(now).date(), period_kind, periods)
    per_period = None if complaints is None else _complaints(
        complaints, {s.code for s in services}, labels, period_kind)
    scripts = {s.id: _questionnaire(session, s.questionnaire_id) for s in services}
    since = period_labels.first_day(labels[0], period_kind)
    respondents = list(_respondents(session, services, scripts, since))
    return build(respondents, [_info(s, scripts[s.id]) for s in services], kind=period_kind,
                 periods=labels, rules=rules_of(settings), generated_at=now, agency=agency,
                 complaints=per_period)


def _complaints(read: ComplaintReader, codes: set[str], labels: list[str], kind: PeriodKind
                ) -> dict[tuple[str, str, str], ComplaintSummary]:
    """Each period's summaries of the services shown, keyed by cell (code, office, period)."""
    found = {}
    for label in labels:
        summaries = read(period_labels.first_day(label, kind), period_labels.last_day(label, kind))
        found.update({(code, office, label): summary
                      for (code, office), summary in summaries.items() if code in codes})
    return found


def rules_of(settings: Settings) -> Rules:
    return Rules(minimum_n=settings.scorecard_minimum_n,
                 suppress_below=settings.scorecard_suppress_below)


def _services(session: Session, agency: str | None, service_code: str | None) -> list[Service]:
    if service_code:
        found = service_by_code(session, service_code)
        return [found] if agency is None or found.agency == agency else []
    query = select(Service).order_by(Service.code)
    if agency is not None:
        query = query.where(Service.agency == agency)
    return [s for s in session.scalars(query) if not is_follow_up_service(s)]


def _questionnaire(session: Session, qid: str) -> Questionnaire:
    """The newest version of the service's script (its indicators and parameter weights)."""
    definition = session.scalar(select(QuestionnaireVersion.definition)
                                .where(QuestionnaireVersion.qid == qid)
                                .order_by(QuestionnaireVersion.version.desc()).limit(1))
    return default_questionnaire() if definition is None else load_questionnaire(definition)


def _info(service: Service, q: Questionnaire) -> ServiceInfo:
    indicators = q.indicators()
    measured = {i.parameter for i in indicators}
    parameters = tuple(p for p in PARAMETERS if p in measured)
    return ServiceInfo(code=service.code, name=service.name, agency=service.agency,
                       parameters=parameters, indicators=tuple(i.name for i in indicators),
                       weights={p: q.weight_of(p) for p in parameters})


def _respondents(session: Session, services: list[Service], scripts: Mapping[int, Questionnaire],
                 since: date) -> Iterable[Respondent]:
    if not services:
        return
    codes = {s.id: s.code for s in services}
    factors = _nonresponse(session, list(codes))
    since_utc = datetime.combine(since, time(), THIMPHU).astimezone(UTC) - timedelta(days=1)
    version = InterviewVersion
    rows = session.execute(
        select(Case.id, Case.service_id, Case.batch_id, Case.office, Case.dzongkhag,
               Case.date_availed, Case.inclusion_probability, Case.stratum,
               version.received_at, version.answers, version.score_composite,
               *(getattr(version, c) for c in PARAMETER_COLUMNS.values()))
        .select_from(version).join(Case, Case.id == version.case_id)
        .where(version.primary.is_(True), version.completion == COMPLETE,
               version.review_status != ReviewStatus.REJECTED,
               Case.service_id.in_(list(codes)),
               or_(Case.date_availed >= since,
                   and_(Case.date_availed.is_(None), version.received_at >= since_utc))))
    for row in rows:
        scorer = scorer_for(scripts[row.service_id])
        effective = scorer.effective(row.answers or {})
        stratum = _stratum(row.batch_id, row.stratum)
        yield Respondent(
            service_code=codes[row.service_id], office=row.office or "",
            dzongkhag=row.dzongkhag or "",
            day=row.date_availed or to_thimphu(row.received_at).date(),
            composite=row.score_composite,
            parameters={p: getattr(row, c) for p, c in PARAMETER_COLUMNS.items()},
            indicators={name: likert_value(effective.get(name))
                        for name, _parameter in scorer.indicators},
            weight=final_weight(row.inclusion_probability, stratum, factors),
            stratum=stratum)


def _stratum(batch_id: int | None, stratum: str | None) -> str:
    """The weighting class: the case's stratum within its draw (sample batch), since two
    draws are two independent samples even when their strata share a name."""
    return f"{batch_id}:{stratum or ''}"


def _nonresponse(session: Session, service_ids: list[int]) -> dict[str, float]:
    """Each weighting class's nonresponse factor, from every case drawn with a π."""
    responded = exists().where(
        InterviewVersion.case_id == Case.id, InterviewVersion.primary.is_(True),
        InterviewVersion.completion == COMPLETE,
        InterviewVersion.review_status != ReviewStatus.REJECTED)
    rows = session.execute(
        select(Case.batch_id, Case.stratum, Case.inclusion_probability, Case.disposition_code,
               responded)
        .where(Case.service_id.in_(service_ids), Case.inclusion_probability.is_not(None)))
    return nonresponse_factors(
        SampledCase(stratum=_stratum(batch, stratum), inclusion_probability=pi,
                    eligible=_eligible(code), responded=bool(answered))
        for batch, stratum, pi, code, answered in rows if pi and pi > 0)


def _eligible(code: str | None) -> bool:
    """Not known to be ineligible: only AAPOR 4.x (not a user, duplicate) is not eligible;
    a case not yet called or never reached counts as eligible (see core.estimation.design)."""
    if code is None:
        return True
    try:
        return bucket_of(code) != Bucket.NE
    except ValueError:
        return True
