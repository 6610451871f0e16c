"""Server fixtures: a migrated database per test on SQLite (always) and PostgreSQL (when
CATI_TEST_PG_URL is set, as in CI), an app with a fixed clock, users and logins."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from cati_app.core.clock import FixedClock
from cati_app.core.protocol import Role
from cati_app.server.app import create_app
from cati_app.server.context import AppContext
from cati_app.server.db import make_engine, transaction
from cati_app.server.migrate import upgrade
from cati_app.server.services.accounts import users
from cati_app.server.settings import Settings

PG_URL = os.environ.get("CATI_TEST_PG_URL", "")
PASSWORD = "correct horse battery"
#: a Tuesday, 10:00 in Thimphu: inside the calling window
TUESDAY_10AM = datetime(2026, 6, 2, 4, 0, tzinfo=UTC)


def backends() -> list:
    params: list = ["sqlite"]
    if PG_URL:
        params.append(pytest.param("postgres", marks=pytest.mark.postgres))
    return params


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
        return
    yield from _postgres_schema()


def _postgres_schema() -> Iterator[str]:
    """A fresh schema per test, so tests never see each other's rows."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


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
    def make(username: str, role: Role | str = Role.enumerator, full_name: str = "") -> int:
        with transaction(ctx.sessions) as session:
            user = users.create_user(session, ctx.hasher, username=username, password=PASSWORD,
                                     role=Role(role), full_name=full_name or username.title(),
                                     at=ctx.clock.now())
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


class LiveServer:
    """The real app served by uvicorn on a free loopback port, in a background thread."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        import socket
        import threading

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                limit_concurrency=200, timeout_keep_alive=30)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start within 10 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    with LiveServer(app) as server:
        yield server
