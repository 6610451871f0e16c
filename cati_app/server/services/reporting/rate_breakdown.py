"""Response rates side by side per service, office, enumerator, month or respondent language
(issues 13 and 18: the analyst's rate reports). One grouped query; each group's rates come from
the same ``reporting.rates_of`` as the overall figure, so the rows and the total cannot
disagree. A second grouped query gives each group's mean composite score: language is a
known source of nonresponse bias, so scores sit beside the rates."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from cati_app.core.protocol_supervision import RateBreakdown, RateGroup, RateGrouping
from cati_app.server.models import Assignment, Case, InterviewVersion, Service, User
from cati_app.server.services.catalogue.catalogue import service_by_code
from cati_app.server.services.reporting.reporting import rate_filters, rates_of

NEVER_ASSIGNED = "(never assigned)"


def rate_breakdown(session: Session, by: RateGrouping, *, service: str | None,
                   date_from: date | None, date_to: date | None) -> RateBreakdown:
    key, query = _grouped(by, (Case.disposition_code, Case.state, func.count()))
    ids = [service_by_code(session, service).id] if service else None
    query = rate_filters(query, service_ids=ids, date_from=date_from, date_to=date_to)
    rows = session.execute(query.group_by(key, Case.disposition_code, Case.state))
    scores = _scores(session, by, ids, date_from, date_to)
    by_group: dict[str, list[tuple[str | None, str, int]]] = defaultdict(list)
    everything: list[tuple[str | None, str, int]] = []
    for group, code, state, n in rows:
        row = (code, state, n)
        by_group[_label(by, group)].append(row)
        everything.append(row)
    filters: dict[str, Any] = {"label": service.strip().upper() if service else None,
                               "date_from": date_from, "date_to": date_to}
    return RateBreakdown(
        by=by, overall=rates_of(everything, **filters),
        groups=[RateGroup(group=name, rates=rates_of(rows_of, **filters),
                          composite=scores.get(name, (None, 0))[0],
                          scored=scores.get(name, (None, 0))[1])
                for name, rows_of in sorted(by_group.items())])


def _scores(session: Session, by: RateGrouping, ids: list[int] | None,
            date_from: date | None, date_to: date | None) -> dict[str, tuple[float | None, int]]:
    """Group label -> (mean composite, interviews scored), over primary versions."""
    key, query = _grouped(by, (func.avg(InterviewVersion.score_composite),
                               func.count(InterviewVersion.score_composite)))
    query = query.join(InterviewVersion, and_(InterviewVersion.case_id == Case.id,
                                              InterviewVersion.primary.is_(True)))
    query = rate_filters(query, service_ids=ids, date_from=date_from, date_to=date_to)
    return {_label(by, group): (None if mean is None else round(float(mean), 3), n)
            for group, mean, n in session.execute(query.group_by(key))}


def _grouped(by: RateGrouping, counted: tuple[Any, ...]
             ) -> tuple[ColumnElement[Any] | InstrumentedAttribute[Any], Select[*tuple[Any, ...]]]:
    if by == "language":
        return Case.language, select(Case.language, *counted).select_from(Case)
    if by == "service":
        return Service.code, select(Service.code, *counted).select_from(Case).join(
            Service, Service.id == Case.service_id)
    if by == "office":
        return Case.office, select(Case.office, *counted).select_from(Case)
    if by == "month":
        month = func.substr(cast(Case.date_availed, String), 1, 7)
        return month, select(month, *counted).select_from(Case)
    # the enumerator who last held the case: its newest assignment
    newest = (select(Assignment.case_id, func.max(Assignment.version).label("version"))
              .group_by(Assignment.case_id).subquery())
    holder = (select(Assignment.case_id, User.username)
              .join(newest, (newest.c.case_id == Assignment.case_id)
                    & (newest.c.version == Assignment.version))
              .join(User, User.id == Assignment.user_id).subquery())
    return holder.c.username, select(holder.c.username, *counted).select_from(Case).outerjoin(
        holder, holder.c.case_id == Case.id)


def _label(by: RateGrouping, group: object) -> str:
    if group is None or group == "":
        return NEVER_ASSIGNED if by == "enumerator" else "(none)"
    return str(group)
