"""One server world for the model-based test: a fresh migrated database (SQLite file or
PostgreSQL schema), the real app on a FixedClock behind TestClient, a supervisor and
enumerators logged in, seeded cases, and a trace of the logical events that changed it.

The trace holds what a fault-free network would have carried: each claim once, each item at
its first delivery, every supervisor action and clock jump. ``replay`` plays it on a new world;
the model-based test compares the two worlds' results and final states."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from cati_app.core.clock import FixedClock
from cati_app.core.protocol import Role
from cati_app.server.app import create_app
from cati_app.server.context import AppContext
from cati_app.server.db import make_engine, transaction
from cati_app.server.migrate import upgrade
from cati_app.server.models import Case, Conflict, ContactAttempt, InterviewVersion, PushedItem
from cati_app.server.services.accounts import users
from cati_app.server.settings import Settings
from tests.support.constants import PASSWORD, TUESDAY_10AM
from tests.support.factories import seed_cases, seed_service
from tests.support.pg import migrated_database_url

SUPERVISOR = "boss"
CASES = 6


@dataclass
class Event:
    kind: str  # clock, claim, ack, push, assign, approve, reject
    user: str = ""
    body: Any = None
    #: what the faulty run saw, compared with the clean replay
    seen: Any = None
    #: the grant a claim got (grant ids are made by the server: the replay maps them)
    grant_id: str = ""
    path: str = ""


@dataclass
class World:
    backend: str
    enumerators: list[str]
    trace: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="cati-model-")
        self._database = ExitStack()
        url = self._database.enter_context(
            migrated_database_url(self.backend, Path(self._folder.name)))
        settings = Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=64,
                            pool_size=2, token_hours=24 * 30)
        engine = make_engine(url, settings.pool_size)
        upgrade(engine)  # a no-op on the migrated copy
        self.clock = FixedClock(TUESDAY_10AM)
        self.ctx = AppContext.build(settings, self.clock, engine=engine)
        self.client = TestClient(create_app(settings, ctx=self.ctx))
        for name, role in [(SUPERVISOR, Role.supervisor)] + [
                (e, Role.enumerator) for e in self.enumerators]:
            with transaction(self.ctx.sessions) as session:
                users.create_user(session, self.ctx.hasher, username=name, password=PASSWORD,
                                  role=role, full_name=name.title(), at=self.clock.now())
        self.headers = {name: self._login(name) for name in [SUPERVISOR, *self.enumerators]}
        self.case_ids = seed_cases(self.ctx, seed_service(self.ctx), CASES)

    def _login(self, name: str) -> dict[str, str]:
        r = self.client.post("/v1/auth/token", json={"username": name, "password": PASSWORD,
                                                      "device_id": f"dev-{name}"})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def close(self) -> None:
        self.client.close()
        self.ctx.engine.dispose()
        self._database.close()
        self._folder.cleanup()

    # --- requests -------------------------------------------------------------------------

    def post(self, user: str, path: str, body: Any) -> Any:
        return self.client.post(path, json=body, headers=self.headers[user])

    def set_clock(self, at: datetime) -> None:
        self.clock.set(at)
        self.trace.append(Event("clock", body=at))

    def record(self, kind: str, user: str, body: Any, seen: Any, grant_id: str = "",
               path: str = "") -> None:
        self.trace.append(Event(kind, user, body, seen, grant_id, path))

    # --- state ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The server state that must not depend on duplication or reordering."""
        with self.ctx.sessions() as s:
            names = dict(s.execute(text("SELECT id, username FROM users")).all())
            return {
                "ledger": sorted(s.execute(select(PushedItem.item_uuid, PushedItem.status))
                                 .all()),
                "attempts": sorted(s.execute(select(
                    ContactAttempt.item_uuid, ContactAttempt.outcome, ContactAttempt.stale))
                    .all()),
                "interviews": sorted(s.execute(select(
                    InterviewVersion.version_uuid, InterviewVersion.completion,
                    InterviewVersion.primary, InterviewVersion.stale,
                    InterviewVersion.review_status)).all()),
                "cases": sorted((c.id, c.state, names.get(c.holder_id), c.assignment_version,
                                 c.disposition, c.attempt_count)
                                for c in s.scalars(select(Case))),
                "conflicts": sorted(s.execute(select(Conflict.case_id, Conflict.kind,
                                                     Conflict.status)).all()),
            }


def replay(trace: list[Event], backend: str, enumerators: list[str]) -> World:
    """Play the logical events once each, in order, on a new world; check each answer."""
    world = World(backend, enumerators)
    grants: dict[str, str] = {}
    for event in trace:
        if event.kind == "clock":
            world.clock.set(event.body)
            continue
        path = {"claim": "/v1/queue/claim", "ack": "/v1/queue/ack", "push": "/v1/sync/push",
                "assign": "/v1/cases/assign"}.get(event.kind)
        path = path or event.path  # approve / reject name the interview in the path
        body = event.body
        if event.kind == "ack":
            body = {**body, "grant_id": grants.get(body["grant_id"], body["grant_id"])}
        r = world.post(event.user, path, body)
        if event.kind == "claim" and r.status_code == 200:
            grants[event.grant_id] = r.json()["grant_id"]
        assert summarise(event.kind, r) == event.seen, (event.kind, event.body, r.text)
    return world


def summarise(kind: str, response: Any) -> Any:
    """The part of an answer that must be the same with and without network faults."""
    if response.status_code != 200:
        return response.status_code
    body = response.json()
    if kind == "claim":
        return [(c["case_id"], c["assignment_version"]) for c in body["cases"]]
    if kind == "ack":
        return sorted(body["acknowledged"])
    if kind == "push":
        return sorted((r["item_uuid"], r["status"]) for r in body["results"])
    if kind == "assign":
        return [(r["case_id"], r["result"]) for r in body["results"]]
    return (body["case_state"], body["review_status"], body["holder"])
