"""The agency workbook's data (issue 16): the agency's scorecards by quarter, fiscal year and
month, and the hook for its complaint tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.core.protocol_scorecard import PeriodKind, Scorecard, Ticket
from cati_app.server.errors import NotFound
from cati_app.server.models import Service
from cati_app.server.services.reporting.scorecard import build_scorecard
from cati_app.server.settings import Settings

#: the periods each sheet shows, newest last: a year of quarters, two fiscal years, six months
SPANS: tuple[tuple[PeriodKind, int], ...] = (("quarter", 4), ("fiscal_year", 2), ("month", 6))


@dataclass(frozen=True)
class AgencyData:
    agency: str
    scorecards: list[Scorecard]
    complaints: list[Ticket] = field(default_factory=list)


def agency_data(session: Session, settings: Settings, *, agency: str, now: datetime,
                complaints: Sequence[Ticket] = ()) -> AgencyData:
    """``complaints``: the agency's tickets once complaint tickets exist (the workbook's
    Complaints sheet is written only when there are some)."""
    agencies = sorted({a for a in session.scalars(select(Service.agency)) if a})
    if agency not in agencies:
        known = "; ".join(agencies) or "none yet (cati-server add-service --agency)"
        raise NotFound(f"no service belongs to the agency {agency!r}: use one of the agencies "
                       f"the services name, exactly as written ({known})")
    cards = [build_scorecard(session, settings, now=now, period_kind=kind, agency=agency,
                             periods=count) for kind, count in SPANS]
    return AgencyData(agency=agency, scorecards=cards, complaints=list(complaints))
