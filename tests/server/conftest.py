"""The server fixtures of tests/support/server_fixtures.py: a migrated database on SQLite and,
with CATI_TEST_PG_URL, PostgreSQL; an app on a fixed clock; users and logins; the in-thread
live server."""

# PASSWORD, TUESDAY_10AM, PG_URL and LiveServer stay importable from here so that a test written
# against the old layout still runs; tests/test_no_test_imports.py then names it, to import them
# from tests/support instead.
from tests.support.constants import PASSWORD, TUESDAY_10AM  # noqa: F401
from tests.support.pg import PG_URL  # noqa: F401
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
from tests.support.server_thread import InThreadServer

LiveServer = InThreadServer
