"""Server fixtures, for the tests of tests/server, tests/security and tests/model (their
conftest.py files import them by name): a migrated database per test on SQLite (always) and
PostgreSQL (when CATI_TEST_PG_URL is set, as in CI), an app with a fixed clock, users and
logins, the app served in a thread."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from cati_app.core.clock import FixedClock
from cati_app.core.protocol import Role
from cati_app.server.app import create_app
from cati_app.server.context import AppContext
from cati_app.server.db import make_engine, transaction
from cati_app.server.migrate import upgrade
from cati_app.server.services.accounts import users
from cati_app.server.settings import Settings
from tests.support import pg
from tests.support.constants import PASSWORD, TUESDAY_10AM
from tests.support.pg import backends
from tests.support.server_thread import InThreadServer


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A database of its own per test. A test that builds the app context (``ctx``) starts
    from a migrated copy, which ``ctx``'s upgrade() leaves as it is; any other test gets an
    empty database."""
    fresh = pg.migrated_database_url if "ctx" in request.fixturenames else pg.database_url
    with fresh(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, argon2_time_cost=1, argon2_memory_kib=64,
                    pool_size=5)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TUESDAY_10AM)


@pytest.fixture
def ctx(settings: Settings, clock: FixedClock) -> Iterator[AppContext]:
    engine = make_engine(settings.database_url, settings.pool_size)
    upgrade(engine)
    context = AppContext.build(settings, clock, engine=engine)
    yield context
    engine.dispose()


@pytest.fixture
def app(ctx: AppContext):  # type: ignore[no-untyped-def]
    return create_app(ctx.settings, ctx=ctx)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_user(ctx: AppContext) -> Callable[..., int]:
    def make(username: str, role: Role | str = Role.enumerator, full_name: str = "",
             agency: str | None = None) -> int:
        """An ``agency`` account sees the agency ``agency`` (DCRC unless given)."""
        if Role(role) == Role.agency:
            agency = agency or "DCRC"
        with transaction(ctx.sessions) as session:
            user = users.create_user(session, ctx.hasher, username=username, password=PASSWORD,
                                     role=Role(role), full_name=full_name or username.title(),
                                     at=ctx.clock.now(), agency=agency)
            return user.id

    return make


@pytest.fixture
def login(client: TestClient) -> Callable[..., dict[str, str]]:
    def do_login(username: str, device_id: str | None = None) -> dict[str, str]:
        response = client.post("/v1/auth/token", json={
            "username": username, "password": PASSWORD,
            "device_id": device_id or f"dev-{username}"})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return do_login


@pytest.fixture
def live_server(app) -> Iterator[InThreadServer]:  # type: ignore[no-untyped-def]
    with InThreadServer(app) as server:
        yield server
