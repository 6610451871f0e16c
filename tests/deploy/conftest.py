"""Two `cati-server serve` processes on different loopback ports sharing one database, as
several workers behind the reverse proxy do in production (docs/deploy.md)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from cati_app.core.protocol import Role
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.services.accounts import users
from tests.e2e.live import (
    FAST_HASHING,
    PASSWORD,
    ROOT,
    LiveServer,
    backends,
    free_port,
    postgres_schema,
)

STARTUP_SECONDS = 30.0
#: concurrent claimers: the production race on PostgreSQL; SQLite (one office) serialises its
#: writers, so it runs a smaller one
CLAIMERS = {"sqlite": 6, "postgres": 20}
CASES_PER_CLAIMER = 8
#: cases claimed by one enumerator whose attempts are pushed through both servers at once
PUSHED_CASES = 20


@dataclass
class ServeProcess:
    """`python -m cati_app.server.cli serve` (the real command) with JSON logs to a file."""

    database_url: str
    log_path: Path
    port: int
    workers: int = 1
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, **FAST_HASHING, "CATI_DATABASE_URL": self.database_url,
               "PYTHONPATH": str(ROOT)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cati_app.server.cli", "serve", "--port",
                 str(self.port), "--workers", str(self.workers), "--log-format", "json"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"no healthy answer within {STARTUP_SECONDS}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Deployment:
    database: LiveServer  # only its seeding and database helpers are used
    servers: tuple[ServeProcess, ServeProcess]
    claimers: int

    def add_enumerators(self, names: list[str]) -> None:
        with self.database.database() as engine:
            ctx = AppContext.build(self.database.settings(), engine=engine)
            with transaction(ctx.sessions) as session:
                for name in names:
                    users.create_user(session, ctx.hasher, username=name, password=PASSWORD,
                                      role=Role.enumerator, full_name=name.title(),
                                      at=ctx.clock.now())


@pytest.fixture(params=backends())
def deployment_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def shared_database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'shared.sqlite3'}"
        return
    with postgres_schema(os.environ["CATI_TEST_PG_URL"]) as url:
        yield url


@pytest.fixture
def two_servers(deployment_backend: str, tmp_path: Path) -> Iterator[Deployment]:
    claimers = CLAIMERS[deployment_backend]
    with shared_database(deployment_backend, tmp_path) as url, ExitStack() as stack:
        seeder = LiveServer(database_url=url, workdir=tmp_path)
        seeder.seed(cases=claimers * CASES_PER_CLAIMER + PUSHED_CASES)
        servers = tuple(ServeProcess(url, tmp_path / f"server{i}.log", free_port())
                        for i in (1, 2))
        for server in servers:
            stack.callback(server.stop)
            server.start()  # both start at once: half the waiting
        for server in servers:
            server.wait_healthy()
        deployment = Deployment(seeder, servers, claimers)  # type: ignore[arg-type]
        deployment.add_enumerators([f"enum{i}" for i in range(claimers)])
        yield deployment
