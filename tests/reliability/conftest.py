"""Reliability fixtures (issue 6): the real server in a uvicorn subprocess on a fresh database,
SQLite always and PostgreSQL too when CATI_TEST_PG_URL is set. ``CATI_SOAK`` switches the
scenarios to their full size (see docs/reliability.md)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.e2e.live import LiveServer, backends, running_server


@pytest.fixture(params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def start_server(tmp_path: Path, backend: str, cases: int
                 ) -> AbstractContextManager[LiveServer]:
    workdir = tmp_path / "server"
    workdir.mkdir(exist_ok=True)
    return running_server(workdir, backend, cases=cases)
