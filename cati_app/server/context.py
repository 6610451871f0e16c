"""Everything a request needs, built once per process and passed in (no global singletons)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cati_app.core.clock import Clock, SystemClock
from cati_app.core.questionnaire import Questionnaire
from cati_app.core.scheduling import CallingRules
from cati_app.server.db import (
    make_engine,
    make_read_session_factory,
    make_session_factory,
    read_transaction,
    transaction,
)
from cati_app.server.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    hasher: PasswordHasher
    rules: CallingRules = field(default_factory=CallingRules)
    #: parsed questionnaire versions by (id, version); stored versions never change
    questionnaires: dict[tuple[str, int], Questionnaire] = field(default_factory=dict)
    #: sessions for reads only (``read()``); built from ``engine`` when not given
    read_sessions: sessionmaker[Session] | None = None

    def __post_init__(self) -> None:
        if self.read_sessions is None:
            self.read_sessions = make_read_session_factory(self.engine)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None,
              engine: Engine | None = None) -> AppContext:
        engine = engine or make_engine(settings.database_url, settings.pool_size)
        hasher = PasswordHasher(time_cost=settings.argon2_time_cost,
                                memory_cost=settings.argon2_memory_kib, parallelism=1)
        rules = (CallingRules.from_dict(json.loads(settings.calling_rules_json))
                 if settings.calling_rules_json else CallingRules())
        return cls(settings=settings, engine=engine, sessions=make_session_factory(engine),
                   clock=clock or SystemClock(), hasher=hasher, rules=rules)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work, committed before it returns (so before the reply is sent)."""
        with transaction(self.sessions) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (exports, reports, the token check): on SQLite it never
        takes the write lock, so pushes go on meanwhile; on PostgreSQL one consistent
        snapshot. Writing in it fails on PostgreSQL: use ``transaction()`` to change data."""
        assert self.read_sessions is not None
        with read_transaction(self.read_sessions) as session:
            yield session
