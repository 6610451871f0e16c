"""The real server in a subprocess on a loopback port, for end-to-end tests.

The database (a fresh SQLite file, or a fresh PostgreSQL schema) is migrated and seeded in the
test process through the server's own services; then ``python -m uvicorn`` serves it. The
server can be stopped and started again on the same port and database, to play "the server
went down while the enumerator kept working".
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import Engine, create_engine, text

from cati_app.core.protocol import Role
from cati_app.core.resources import resource
from cati_app.server.context import AppContext
from cati_app.server.db import make_engine, transaction
from cati_app.server.migrate import upgrade
from cati_app.server.services.accounts import users
from cati_app.server.services.cases.sample_import import import_sample
from cati_app.server.services.cases.sample_readers import sheet_from_records
from cati_app.server.services.catalogue import catalogue
from cati_app.server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
ENUMERATOR = "karma"
OTHER_ENUMERATOR = "sonam"
SUPERVISOR = "deki"
SERVICE = "CID"
STARTUP_SECONDS = 30.0
#: cheap password hashing for tests; the hash string carries its own cost, so both the seeding
#: process and the server verify it
FAST_HASHING = {"CATI_ARGON2_TIME_COST": "1", "CATI_ARGON2_MEMORY_KIB": "64"}
#: the reliability desks each hold a whole sample (1,000 interviews, thousands of items) and
#: sync in tight loops: far beyond what one enumerator may hold or claim in production
HARNESS_LIMITS = {"CATI_MAX_HELD_CASES": "100000", "CATI_CLAIM_CASES_PER_HOUR": "1000000",
                  "CATI_CLAIMS_PER_MINUTE": "100000"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    database_url: str
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def settings(self) -> Settings:
        return Settings(database_url=self.database_url, argon2_time_cost=1,
                        argon2_memory_kib=64, pool_size=2)

    def start(self) -> None:
        env = {**os.environ, **FAST_HASHING, **HARNESS_LIMITS,
               "CATI_DATABASE_URL": self.database_url,
               "PYTHONPATH": str(ROOT)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "tests.e2e.server_app:make_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_answering()

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start:\n{self.server_log()}")
            try:
                requests.get(self.base_url + "/v1/sync/hello", timeout=0.5)
                return  # any HTTP answer (401 without a token) means it serves
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer within {STARTUP_SECONDS}s:\n"
                           f"{self.server_log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def server_log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @contextmanager
    def database(self) -> Iterator[Engine]:
        """A direct connection to the server's database, for seeding and for checking."""
        engine = make_engine(self.database_url, pool_size=1)
        try:
            yield engine
        finally:
            engine.dispose()

    def seed(self, *, cases: int) -> None:
        """Migrate; add users, the CID service, the default questionnaire and ``cases`` fresh
        cases with made-up people (numbers in the 17 mobile range)."""
        with self.database() as engine:
            upgrade(engine)
            ctx = AppContext.build(self.settings(), engine=engine)
            at = ctx.clock.now()
            with transaction(ctx.sessions) as session:
                for username, role in ((ENUMERATOR, Role.enumerator),
                                       (OTHER_ENUMERATOR, Role.enumerator),
                                       (SUPERVISOR, Role.supervisor)):
                    users.create_user(session, ctx.hasher, username=username, password=PASSWORD,
                                      role=role, full_name=username.title(), at=at)
                catalogue.add_service(session, code=SERVICE, name="Issuance of New CID Card",
                                      agency="DCRC", at=at, by=None)
                definition = json.loads(resource("questionnaires", "set_default.json")
                                        .read_text(encoding="utf-8"))
                catalogue.add_questionnaire_version(session, definition, at=at, by=None)
                if cases:
                    import_sample(session, _people(cases), service_code=SERVICE, at=at)

    def scalar(self, sql: str, **params: object) -> object:
        with self.database() as engine, engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: object) -> list[tuple]:
        with self.database() as engine, engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]


def _people(count: int):  # type: ignore[no-untyped-def]
    headers = ["name", "phone", "office", "dzongkhag", "language", "priority"]
    records = [{"name": f"Respondent {i}", "phone": f"17{100000 + i:06d}",
                "office": "Thimphu DCRC", "dzongkhag": "Thimphu", "language": "en",
                "priority": 50} for i in range(count)]
    return sheet_from_records(records, headers, name="e2e people")


@contextmanager
def postgres_schema(pg_url: str) -> Iterator[str]:
    """A fresh schema per test, dropped afterwards."""
    schema = f"e2e_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in pg_url else "?"
    try:
        yield f"{pg_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def running_server(workdir: Path, backend: str, *, cases: int = 10) -> Iterator[LiveServer]:
    """A seeded server answering on a loopback port; stopped (and its schema dropped) after."""
    with _database_url(workdir, backend) as url:
        server = LiveServer(database_url=url, workdir=workdir)
        server.seed(cases=cases)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@contextmanager
def _database_url(workdir: Path, backend: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'server.sqlite3'}"
        return
    with postgres_schema(os.environ["CATI_TEST_PG_URL"]) as url:
        yield url


def backends() -> list[str]:
    return ["sqlite", "postgres"] if os.environ.get("CATI_TEST_PG_URL") else ["sqlite"]
