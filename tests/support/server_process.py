"""The real server in a subprocess on a loopback port, for end-to-end, reliability, deploy and
security tests.

``LiveServer`` runs ``python -m uvicorn`` on tests/support/server_app.py; its database (a fresh
SQLite file, or a fresh PostgreSQL schema) is migrated and seeded in the test process through
the server's own services. It can be stopped and started again on the same port and database,
to play "the server went down while the enumerator kept working". ``ServeProcess`` runs the
real ``cati-server serve`` command instead, as production does."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import Engine, text

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
from tests.support.constants import FAST_HASHING, PASSWORD, ROOT
from tests.support.pg import migrated_database_url

ENUMERATOR = "karma"
OTHER_ENUMERATOR = "sonam"
SUPERVISOR = "deki"
SERVICE = "CID"
#: generous: a server process on a machine shared with other work (or pytest-xdist workers)
#: may take many seconds to import before it answers
STARTUP_SECONDS = 90.0
#: the reliability desks each hold a whole sample (1,000 interviews, thousands of items) and
#: sync in tight loops: far beyond what one enumerator may hold or claim in production
HARNESS_LIMITS = {"CATI_MAX_HELD_CASES": "100000", "CATI_CLAIM_CASES_PER_HOUR": "1000000",
                  "CATI_CLAIMS_PER_MINUTE": "100000"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server subprocess: cheap hashing, this tree on the path."""
    return {**os.environ, **FAST_HASHING, "CATI_DATABASE_URL": database_url,
            "PYTHONPATH": str(ROOT), **extra}


def wait_until_serving(process: subprocess.Popen[bytes], answers: Callable[[], bool],
                       log: Callable[[], str], seconds: float = STARTUP_SECONDS) -> None:
    """Poll ``answers`` until it says yes; fail with the server's log if the process exits
    or the time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited at start:\n{log()}")
        try:
            if answers():
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {seconds}s:\n{log()}")


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM, then SIGKILL if it does not go within 10 s."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class LiveServer:
    database_url: str
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    #: the ``module:function`` uvicorn builds the app with
    app_factory: str = "tests.support.server_app:make_app"

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
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", self.app_factory,
                 "--factory", "--host", "127.0.0.1", "--port", str(self.port),
                 "--log-level", "warning"],
                cwd=ROOT, env=server_env(self.database_url, **HARNESS_LIMITS), stdout=log,
                stderr=subprocess.STDOUT)
        try:
            # any HTTP answer (401 without a token) means it serves
            wait_until_serving(self.process, self._answers, self.server_log)
        except RuntimeError:
            self.stop()
            raise

    def _answers(self) -> bool:
        requests.get(self.base_url + "/v1/sync/hello", timeout=0.5)
        return True

    def stop(self) -> None:
        stop_process(self.process)
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
        """Migrate (a no-op on a migrated copy); add users, the CID service, the default
        questionnaire and ``cases`` fresh cases with made-up people (numbers in the 17 mobile
        range)."""
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

    def add_users(self, names: list[str], role: Role = Role.enumerator) -> None:
        with self.database() as engine:
            ctx = AppContext.build(self.settings(), engine=engine)
            with transaction(ctx.sessions) as session:
                for name in names:
                    users.create_user(session, ctx.hasher, username=name, password=PASSWORD,
                                      role=role, full_name=name.title(), at=ctx.clock.now())

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
def running_server(workdir: Path, backend: str, *, cases: int = 10,
                   app_factory: str | None = None) -> Iterator[LiveServer]:
    """A seeded server answering on a loopback port; stopped (and its schema dropped) after."""
    with migrated_database_url(backend, workdir) as url:
        server = LiveServer(database_url=url, workdir=workdir)
        if app_factory is not None:
            server.app_factory = app_factory
        server.seed(cases=cases)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@dataclass
class ServeProcess:
    """`python -m cati_app.server.cli serve` (the real command) with JSON logs to a file."""

    database_url: str
    log_path: Path
    port: int = field(default_factory=free_port)
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cati_app.server.cli", "serve", "--port",
                 str(self.port), "--workers", str(self.workers), "--log-format", "json"],
                cwd=ROOT, env=server_env(self.database_url), stdout=log,
                stderr=subprocess.STDOUT)

    def wait_healthy(self) -> None:
        assert self.process is not None
        wait_until_serving(self.process, self._healthy, self.log)

    def _healthy(self) -> bool:
        return requests.get(f"{self.url}/v1/health", timeout=1).status_code == 200

    def stop(self) -> None:
        stop_process(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_server(tmp_path: Path, backend: str, cases: int) -> AbstractContextManager[LiveServer]:
    """``running_server`` in ``tmp_path/server``, leaving ``tmp_path`` to the client side."""
    workdir = tmp_path / "server"
    workdir.mkdir(exist_ok=True)
    return running_server(workdir, backend, cases=cases)
