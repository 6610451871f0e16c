"""Complaint tickets for tests of the pages and the scorecard's complaint figures: opened and
moved along through the complaints service (as the API does), at chosen times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from cati_app.core.clock import to_thimphu
from cati_app.core.protocol_scorecard import TicketChange
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import Service
from cati_app.server.services.complaints.tickets import Actor, change_state, open_ticket


@dataclass(frozen=True)
class Made:
    """One ticket to make: opened ``age`` before now; resolved ``took`` after opening when
    ``took`` is given, else left ``state``."""
    service: str
    office: str
    text: str
    age: timedelta
    state: str = "open"
    took: timedelta | None = None
    consent: bool = False
    case_id: int | None = None


def make_tickets(ctx: AppContext, wanted: list[Made]) -> list[int]:
    """The tickets' ids, in the order given."""
    now, made = ctx.clock.now(), []
    with transaction(ctx.sessions) as session:
        for m in wanted:
            service_id = session.scalar(select(Service.id).where(Service.code == m.service))
            assert service_id is not None, m.service
            opened = now - m.age
            row = open_ticket(session, service_id=service_id, office=m.office,
                              dzongkhag=m.office.split()[0], reported_on=to_thimphu(opened).date(),
                              text=m.text, channel="cati", at=opened, actor=Actor(None),
                              consent_to_follow_up=m.consent, case_id=m.case_id)
            if m.took is not None:
                change_state(session, row.id, TicketChange(state="resolved", note="fixed"),
                             agency=None, at=opened + m.took, actor=Actor(None))
            elif m.state != "open":
                change_state(session, row.id, TicketChange(state=m.state, note="seen"),
                             agency=None, at=opened + timedelta(hours=1), actor=Actor(None))
            made.append(row.id)
    return made
