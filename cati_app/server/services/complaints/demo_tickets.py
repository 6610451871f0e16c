"""The demo's complaints (issue 16): a dozen tickets on demo cases over the last two months, in
every state and several categories, so the Complaints tab, the workbook and the scorecards'
complaint figures have something to show. Idempotent: nothing is added when tickets exist.

No demo ticket with call-back consent is resolved: a call-back would add a service and a call
list the demo does not own (``ops.demo.real_data`` would then call the database real)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati_app.core.clock import to_thimphu
from cati_app.core.protocol_scorecard import TicketChange
from cati_app.server.models import Case, Service
from cati_app.server.models import Ticket as TicketRow
from cati_app.server.services.complaints.tickets import Actor, change_state, open_ticket

COMPLAINTS = (
    "I waited three weeks for my new card and had to come back four times.",
    "The clerk asked for Nu. 500 extra to speed it up. Call me on 17 65 43 21.",
    "Staff at the counter were rude and shouted at an old man in the queue.",
    "Nobody told me which documents to bring, so I had to travel back to the village.",
    "The office was closed at 2 pm on a working day.",
    "The online system was down and they sent everyone home.",
    "My census transfer is still pending after two months.",
    "The officer was helpful but the line was very long; no seats for the elderly.",
    "They asked for a letter from the gup that the website never mentions.",
    "I was treated differently from people who knew the staff.",
    "ཕྱི་འགྱངས་ཡོདཔ་ཨིན། ཉིན་གྲངས་ལེ་ཤ་སྒུག་དགོཔ་བྱུང་།",
    "The photo machine was broken for a week.",
)
#: (state after opening, days the agency took)
WORK = (("resolved", 3), ("acknowledged", 1), ("open", 0), ("resolved", 9), ("resolved", 1),
        ("acknowledged", 2), ("open", 0), ("resolved", 14), ("open", 0), ("resolved", 5),
        ("acknowledged", 4), ("resolved", 2))


def seed_complaints(session: Session, at: datetime, rng: random.Random) -> int:
    """Tickets on demo cases; how many were made (0 when there were some already)."""
    if session.scalar(select(func.count()).select_from(TicketRow)):
        return 0
    cases = list(session.scalars(select(Case).join(Service, Service.id == Case.service_id)
                                 .where(~Service.code.endswith("-FU"))
                                 .order_by(Case.id).limit(200)))
    if not cases:
        return 0
    actor = Actor(None)
    for number, (text, (state, days)) in enumerate(zip(COMPLAINTS, WORK, strict=True)):
        case = rng.choice(cases)
        opened = at - timedelta(days=5 + number * 5, hours=rng.randrange(8))
        consent = state != "resolved" and rng.random() < 0.6
        ticket = open_ticket(
            session, service_id=case.service_id, office=case.office, dzongkhag=case.dzongkhag,
            reported_on=to_thimphu(opened).date(), text=text, channel="cati", at=opened,
            actor=actor, consent_to_follow_up=consent, case_id=case.id)
        if state != "open":
            change_state(session, ticket.id, TicketChange(
                state="acknowledged", note="Passed to the office in charge"), agency=None,
                at=opened + timedelta(hours=6), actor=actor)
        if state == "resolved":
            change_state(session, ticket.id, TicketChange(
                state="resolved", note="The office called the citizen and fixed it"),
                agency=None, at=opened + timedelta(days=days), actor=actor)
    return len(COMPLAINTS)
