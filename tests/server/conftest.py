"""The server fixtures of tests/support/server_fixtures.py: a migrated database on SQLite and,
with CATI_TEST_PG_URL, PostgreSQL; an app on a fixed clock; users and logins; the in-thread
live server."""

from tests.support.constants import PASSWORD, TUESDAY_10AM  # noqa: F401 - for old imports
from tests.support.pg import PG_URL  # noqa: F401 - for old imports
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

#: the in-thread server under its old name, for test files that still import it from here
LiveServer = InThreadServer
