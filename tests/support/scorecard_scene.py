"""A scorecard worth looking at, for the browser tests and the web screenshots: two agencies,
three services, offices of every status (published, indicative, suppressed) and two periods,
with made-up scores from a seeded generator, and a few complaint tickets in every state.
Agency accounts ``dcrc`` and ``moice``."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from cati_app.core.protocol import Role
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.services.accounts import users
from cati_app.server.services.catalogue import catalogue
from tests.support.complaint_tickets import Made, make_tickets
from tests.support.constants import PASSWORD
from tests.support.scored_interviews import seed_scored_interviews

AGENCY_A, AGENCY_B = "DCRC", "MOICE"
#: (service code, name, agency); CID is the LiveServer's own service (agency DCRC)
SERVICES = [("MIMO", "Move-in/Move-out (census transfer)", AGENCY_A),
            ("TRADE", "Trade licence renewal", AGENCY_B)]
#: service -> office -> (dzongkhag, mean score, interviews this period, last period)
OFFICES = {
    "CID": {"Thimphu DCRC": ("Thimphu", 4.2, 48, 40), "Paro DCRC": ("Paro", 3.0, 36, 32),
            "Phuntsholing DCRC": ("Chhukha", 3.8, 18, 22), "Gasa DCRC": ("Gasa", 3.5, 6, 4)},
    "MIMO": {"Thimphu DCRC": ("Thimphu", 3.6, 34, 30), "Bumthang DCRC": ("Bumthang", 4.0, 31, 12)},
    "TRADE": {"Phuntsholing MOICE": ("Chhukha", 2.9, 40, 35)},
}

H = timedelta(hours=1)
TO_RESOLVE = "Staff at the counter were rude and shouted at an old man in the queue."
#: this period's complaints; TO_RESOLVE is Paro's open one
TICKETS = [
    Made("CID", "Paro DCRC", TO_RESOLVE, 6 * H),
    Made("CID", "Paro DCRC", "The clerk asked for Nu. 500 extra. Call me on 17 65 43 21.",
         9 * H, took=5 * H),
    Made("CID", "Thimphu DCRC", "Nobody told me which documents to bring, so I had to "
         "travel back to the village.", 12 * H, state="acknowledged"),
    Made("MIMO", "Bumthang DCRC", "My census transfer is still pending after two months.",
         20 * H),
    Made("TRADE", "Phuntsholing MOICE", "The trade office lost my licence file.", 3 * H),
]


def seed_scene(ctx: AppContext, now: datetime, seed: int = 16) -> None:
    rng = random.Random(seed)
    at = ctx.clock.now()
    with transaction(ctx.sessions) as session:
        for code, name, agency in SERVICES:
            catalogue.add_service(session, code=code, name=name, agency=agency, at=at, by=None)
        for username, agency in (("dcrc", AGENCY_A), ("moice", AGENCY_B)):
            users.create_user(session, ctx.hasher, username=username, password=PASSWORD,
                              role=Role.agency, full_name="", at=at, agency=agency)
        users.create_user(session, ctx.hasher, username="ana", password=PASSWORD,
                          role=Role.analyst, full_name="", at=at)
    for code, offices in OFFICES.items():
        for office, (dzongkhag, mean, now_n, before_n) in offices.items():
            for when, n, shift in ((now - timedelta(hours=2), now_n, 0.0),
                                   (now - timedelta(days=100), before_n, -0.25)):
                scores = [min(5.0, max(1.0, round(rng.gauss(mean + shift, 0.8) * 5) / 5))
                          for _ in range(n)]
                seed_scored_interviews(ctx.sessions, service_code=code, office=office,
                                       dzongkhag=dzongkhag, started_at=when, composites=scores)
    make_tickets(ctx, TICKETS)
