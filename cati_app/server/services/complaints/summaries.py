"""Complaint figures for scorecards (issue 16): per service and office, how many complaints a
period brought, how many are resolved, and how long resolving took.

- A period holds the tickets *reported* in it (``reported_on``, both ends included).
- ``resolved`` counts those resolved now (a reopened ticket is not, until resolved again).
- Days to resolve run from the ticket's opening (``created_at``) to its latest resolution, in
  days with fractions; the median is over the resolved tickets (None when there are none).
- ``(code, "")`` is the service as a whole, every office included; the scorecard's cell for
  the whole service (``Cell.office == ""``) reads it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.core import complaints as rules
from cati_app.core.protocol_scorecard import ComplaintSummary
from cati_app.server.models import Service
from cati_app.server.models import Ticket as TicketRow

SECONDS_PER_DAY = 86_400


def complaint_summaries(session: Session, *, agency: str | None, period_start: date,
                        period_end: date) -> dict[tuple[str, str], ComplaintSummary]:
    """(service code, office) → the period's complaint figures; only keys with complaints.
    ``agency`` None: every agency's services."""
    query = (select(Service.code, TicketRow.office, TicketRow.state, TicketRow.created_at,
                    TicketRow.resolved_at)
             .join(Service, Service.id == TicketRow.service_id)
             .where(TicketRow.reported_on >= period_start, TicketRow.reported_on <= period_end))
    if agency is not None:
        query = query.where(Service.agency == agency)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    days: dict[tuple[str, str], list[float]] = defaultdict(list)
    for code, office, state, created_at, resolved_at in session.execute(query):
        for key in {(code, office), (code, "")}:
            counts[key] += 1
            if state == rules.RESOLVED and resolved_at is not None:
                days[key].append(_days(created_at, resolved_at))
    return {key: _summary(count, days.get(key, [])) for key, count in counts.items()}


def reader(session: Session, agency: str | None
           ) -> Callable[[date, date], dict[tuple[str, str], ComplaintSummary]]:
    """``complaint_summaries`` for one agency, as ``build_scorecard(complaints=...)`` takes
    it (it asks once per period shown)."""
    return lambda start, end: complaint_summaries(session, agency=agency, period_start=start,
                                                  period_end=end)


def _days(opened: datetime, resolved: datetime) -> float:
    return max(0.0, (resolved - opened).total_seconds() / SECONDS_PER_DAY)


def _summary(count: int, days: list[float]) -> ComplaintSummary:
    return ComplaintSummary(
        count=count, resolved=len(days), share_resolved=len(days) / count if count else None,
        median_days_to_resolve=statistics.median(days) if days else None)
