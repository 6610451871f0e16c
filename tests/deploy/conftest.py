"""Deploy fixtures: ``two_servers`` is two `cati-server serve` processes sharing one freshly
seeded database (tests/deploy/deployment.py), SQLite always, PostgreSQL too when
CATI_TEST_PG_URL is set."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.deploy.deployment import CASES_PER_CLAIMER, CLAIMERS, PUSHED_CASES, Deployment
from tests.support.pg import backends, migrated_database_url
from tests.support.server_process import LiveServer, ServeProcess


@pytest.fixture(params=backends())
def deployment_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def two_servers(deployment_backend: str, tmp_path: Path) -> Iterator[Deployment]:
    claimers = CLAIMERS[deployment_backend]
    with migrated_database_url(deployment_backend, tmp_path, "shared.sqlite3") as url, \
            ExitStack() as stack:
        seeder = LiveServer(database_url=url, workdir=tmp_path)
        seeder.seed(cases=claimers * CASES_PER_CLAIMER + PUSHED_CASES)
        servers = tuple(ServeProcess(url, tmp_path / f"server{i}.log") for i in (1, 2))
        for server in servers:
            stack.callback(server.stop)
            server.start()  # both start at once: half the waiting
        for server in servers:
            server.wait_healthy()
        deployment = Deployment(seeder, servers, claimers)  # type: ignore[arg-type]
        deployment.add_enumerators([f"enum{i}" for i in range(claimers)])
        yield deployment
