"""End-to-end fixtures: ``live_server`` is the real server (uvicorn in a subprocess) on a free
loopback port, on a fresh migrated and seeded database: SQLite always, PostgreSQL too when
CATI_TEST_PG_URL is set. See tests/support/server_process.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pg import backends
from tests.support.server_process import LiveServer, running_server


@pytest.fixture(params=backends())
def live_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    with running_server(tmp_path, request.param) as server:
        yield server
