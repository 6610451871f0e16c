"""The server fixtures of tests/support/server_fixtures.py (a migrated database on SQLite and,
with CATI_TEST_PG_URL, PostgreSQL; an app on a fixed clock; users and logins; the in-thread
live server), as tests/server has them."""

from tests.support.server_fixtures import (  # noqa: F401 - fixtures are found by name
    app,
    client,
    clock,
    ctx,
    database_url,
    live_server,
    login,
    make_user,
    settings,
)
