"""A scorecard worth looking at, for the browser tests and the web screenshots: two agencies,
three services, offices of every status (published, indicative, suppressed) and two periods,
with made-up scores from a seeded generator. Agency accounts ``dcrc`` and ``moice``."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from cati_app.core.protocol import Role
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.services.accounts import users
from cati_app.server.services.catalogue import catalogue
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
