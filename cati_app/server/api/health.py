"""GET /v1/health: is this worker able to serve? For load balancers and monitoring.

No login (a monitor holds no token) and no personal data: it says whether the database answers
and whether its schema is the one this server was built for. 200 when both are fine, 503 with
what is wrong otherwise, so a proxy or monitor can take the worker out of rotation.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from cati_app import __version__
from cati_app.server import migrate
from cati_app.server.context import AppContext
from cati_app.server.deps import Ctx

log = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["operations"])
#: how long a migration check is trusted: health is polled often, the schema changes rarely
MIGRATION_CHECK_SECONDS = 5.0


class Migrations(StrEnum):
    current = "current"
    behind = "behind"  # older schema or none at all: run `cati-server init`
    unknown = "unknown"  # a revision this server does not know (a newer server migrated it)
    unchecked = "unchecked"  # the database did not answer


class HealthReport(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]
    migrations: Migrations
    version: str
    #: what to do about it, when something is wrong
    detail: str = ""


@dataclass
class MigrationCheck:
    """The schema state, re-read at most every ``ttl`` seconds (thread-safe enough: two
    threads may both refresh at once, which is harmless)."""

    ttl: float = MIGRATION_CHECK_SECONDS
    monotonic: Callable[[], float] = time.monotonic
    _state: Migrations | None = None
    _checked_at: float = 0.0

    def __post_init__(self) -> None:
        self._scripts = ScriptDirectory.from_config(migrate.alembic_config())
        self._head = self._scripts.get_current_head()
        self._lock = threading.Lock()

    def state(self, connection: Connection) -> Migrations:
        now = self.monotonic()
        with self._lock:
            if self._state is not None and now - self._checked_at < self.ttl:
                return self._state
        state = self._read(connection)
        with self._lock:
            self._state, self._checked_at = state, now
        return state

    def _read(self, connection: Connection) -> Migrations:
        revision = MigrationContext.configure(connection).get_current_revision()
        if revision == self._head:
            return Migrations.current
        if revision is None:
            return Migrations.behind
        try:
            known = self._scripts.get_revision(revision) is not None
        except CommandError:
            known = False
        return Migrations.behind if known else Migrations.unknown


def _migration_check(request: Request) -> MigrationCheck:
    state = request.app.state
    if not hasattr(state, "migration_check"):
        state.migration_check = MigrationCheck()
    check: MigrationCheck = state.migration_check  # Starlette's State holds untyped attributes
    return check


def check(ctx: AppContext, migrations: MigrationCheck) -> HealthReport:
    try:
        with ctx.transaction() as session:
            connection = session.connection()
            connection.execute(text("SELECT 1"))
            schema = migrations.state(connection)
    except SQLAlchemyError as exc:
        # The class name only: driver messages can carry the host, user or file path.
        log.warning("health: database unreachable (%s)",
                    type(getattr(exc, "orig", None) or exc).__name__)
        return HealthReport(status="unavailable", database="unreachable",
                            migrations=Migrations.unchecked, version=__version__,
                            detail="the database does not answer: check that it is running "
                                   "and CATI_DATABASE_URL")
    details = {
        Migrations.behind: "the database schema is older than this server: run "
                           "`cati-server init` (it migrates), then restart the workers",
        Migrations.unknown: "the database schema is newer than this server (or foreign): "
                            "upgrade this server to the version that migrated it",
    }
    return HealthReport(status="ok" if schema is Migrations.current else "unavailable",
                        database="ok", migrations=schema, version=__version__,
                        detail=details.get(schema, ""))


@router.get("/health", response_model=HealthReport,
            responses={503: {"model": HealthReport,
                             "description": "the database is unreachable or its schema is not "
                                            "current; `detail` says what to do"}})
def health(request: Request, ctx: Ctx) -> HealthReport | JSONResponse:
    report = check(ctx, _migration_check(request))
    if report.status == "ok":
        return report
    return JSONResponse(report.model_dump(mode="json"), status_code=503,
                        headers={"Cache-Control": "no-store"})
