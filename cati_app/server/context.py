"""Everything a request needs, built once per process and passed in (no global singletons)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
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
from cati_app.server.models import StoredCallingRules
from cati_app.server.services.accounts.identity import TokenCache, forget_tokens_on_revocation
from cati_app.server.settings import Settings

#: how long a server process plans with the calling rules it last read before it looks at the
#: database again (another process may have stored an admin's change); this process's own
#: changes take effect at once
RULES_RECHECK_SECONDS = 5.0


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    hasher: PasswordHasher
    #: the rules of the settings (CATI_CALLING_RULES_JSON, else the built-in defaults): used
    #: until an admin stores rules (PUT /v1/admin/calling-rules)
    base_rules: CallingRules = field(default_factory=CallingRules)
    #: parsed questionnaire versions by (id, version); stored versions never change
    questionnaires: dict[tuple[str, int], Questionnaire] = field(default_factory=dict)
    #: sessions for reads only (``read()``); built from ``engine`` when not given
    read_sessions: sessionmaker[Session] | None = None

    #: live tokens this process checked lately (built from the settings when not given)
    token_cache: TokenCache | None = None

    def __post_init__(self) -> None:
        if self.read_sessions is None:
            self.read_sessions = make_read_session_factory(self.engine)
        if self.token_cache is None:
            self.token_cache = TokenCache(self.settings.token_cache_seconds)
        forget_tokens_on_revocation(self.sessions, self.token_cache)

    _stored_rules: tuple[int, CallingRules] | None = field(default=None, init=False,
                                                          repr=False)
    _rules_checked: float = field(default=float("-inf"), init=False, repr=False)

    @property
    def rules(self) -> CallingRules:
        """The calling rules in force: the admin's stored rules, else ``base_rules``."""
        return self._stored_rules[1] if self._stored_rules else self.base_rules

    @property
    def rules_version(self) -> int:
        """0 for ``base_rules``; each admin change adds one."""
        return self._stored_rules[0] if self._stored_rules else 0

    def use_rules(self, version: int, rules: CallingRules) -> None:
        self._stored_rules = (version, rules) if version > 0 else None
        self._rules_checked = time.monotonic()

    def refresh_rules(self, session: Session) -> None:
        """Re-read the stored rules when they may have been changed by another process."""
        if time.monotonic() - self._rules_checked < RULES_RECHECK_SECONDS:
            return
        try:
            with session.begin_nested():  # a failure here must not spoil the caller's work
                row = session.execute(
                    select(StoredCallingRules.version, StoredCallingRules.rules)
                    .where(StoredCallingRules.id == 1)).first()
        except SQLAlchemyError:
            # a database not migrated yet (the health check reports it): keep what we have
            return
        if row is None:
            self.use_rules(0, self.base_rules)
        elif row.version != self.rules_version:
            self.use_rules(row.version, CallingRules.from_dict(row.rules))
        else:
            self._rules_checked = time.monotonic()

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None,
              engine: Engine | None = None) -> AppContext:
        engine = engine or make_engine(settings.database_url, settings.pool_size)
        hasher = PasswordHasher(time_cost=settings.argon2_time_cost,
                                memory_cost=settings.argon2_memory_kib, parallelism=1)
        rules = (CallingRules.from_dict(json.loads(settings.calling_rules_json))
                 if settings.calling_rules_json else CallingRules())
        return cls(settings=settings, engine=engine, sessions=make_session_factory(engine),
                   clock=clock or SystemClock(), hasher=hasher, base_rules=rules)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work, committed before it returns (so before the reply is sent)."""
        with transaction(self.sessions) as session:
            self.refresh_rules(session)
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (exports, reports, the token check): on SQLite it never
        takes the write lock, so pushes go on meanwhile; on PostgreSQL one consistent
        snapshot. Writing in it fails on PostgreSQL: use ``transaction()`` to change data."""
        assert self.read_sessions is not None
        with read_transaction(self.read_sessions) as session:
            yield session
