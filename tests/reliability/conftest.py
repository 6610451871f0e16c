"""Reliability fixtures (issue 6): the backends the scenarios run on, SQLite always and
PostgreSQL too when CATI_TEST_PG_URL is set; the server itself is
tests/support/server_process.py. ``CATI_SOAK`` switches the scenarios to their full size (see
docs/reliability.md)."""

from __future__ import annotations

import pytest

from tests.support.pg import backends


@pytest.fixture(params=backends())
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
