"""The agency workbook's data (issue 16): the agency's scorecards by quarter, fiscal year and
month with each office's complaint figures, and the agency's complaint tickets (masked, no
names or phone numbers) for its Complaints sheet."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.core.estimation import periods
from cati_app.core.protocol_scorecard import PeriodKind, Scorecard, Ticket
from cati_app.server.errors import NotFound
from cati_app.server.models import Service
from cati_app.server.services.complaints import summaries, tickets
from cati_app.server.services.reporting.scorecard import build_scorecard
from cati_app.server.settings import Settings

#: the periods each sheet shows, newest last: a year of quarters, two fiscal years, six months
SPANS: tuple[tuple[PeriodKind, int], ...] = (("quarter", 4), ("fiscal_year", 2), ("month", 6))


@dataclass(frozen=True)
class AgencyData:
    agency: str
    scorecards: list[Scorecard]
    complaints: list[Ticket] = field(default_factory=list)


def agency_data(session: Session, settings: Settings, *, agency: str, now: datetime
                ) -> AgencyData:
    """The scorecards cover the periods of ``SPANS``; the tickets are every ticket of the
    agency's services reported since the first of those periods (the workbook's Complaints
    sheet is written only when there are some)."""
    agencies = sorted({a for a in session.scalars(select(Service.agency)) if a})
    if agency not in agencies:
        known = "; ".join(agencies) or "none yet (cati-server add-service --agency)"
        raise NotFound(f"no service belongs to the agency {agency!r}: use one of the agencies "
                       f"the services name, exactly as written ({known})")
    read = summaries.reader(session, agency)
    cards = [build_scorecard(session, settings, now=now, period_kind=kind, agency=agency,
                             periods=count, complaints=read) for kind, count in SPANS]
    since = min(_first_day(card) for card in cards)
    service_ids = list(session.scalars(select(Service.id).where(Service.agency == agency)))
    complaints = tickets.for_export(session, service_ids=service_ids, date_from=since,
                                    date_to=None, agency=agency)
    return AgencyData(agency=agency, scorecards=cards, complaints=complaints)


def _first_day(card: Scorecard) -> date:
    return periods.first_day(card.periods[0], card.period_kind)
