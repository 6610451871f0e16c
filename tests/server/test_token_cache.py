"""The per-worker token cache (issue 14, claim speed): a token found live is believed for
``token_cache_seconds`` without a query, yet a revocation still takes effect within seconds —
at once in the worker that made it, within the cache time in every other worker. Two workers
are two AppContexts on one database, as `cati-server serve --workers 2` runs them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update

from cati_app.core.protocol import Role
from cati_app.server.app import create_app
from cati_app.server.context import AppContext
from cati_app.server.db import make_engine, transaction
from cati_app.server.models import AuthToken
from cati_app.server.services.accounts import users


class Timer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def timer(ctx: AppContext) -> Timer:
    fake = Timer()
    assert ctx.token_cache is not None
    ctx.token_cache.timer = fake
    return fake


@pytest.fixture
def other_worker(ctx: AppContext) -> Iterator[AppContext]:
    engine = make_engine(ctx.settings.database_url, 2)
    yield AppContext.build(ctx.settings, ctx.clock, engine=engine)
    engine.dispose()


def _hello(client: TestClient, auth: dict[str, str]) -> int:
    return client.get("/v1/sync/hello", headers=auth).status_code


def _revoke_device(worker: AppContext, admin_id: int, device_id: str) -> None:
    with transaction(worker.sessions) as session:
        users.revoke_device(session, device_id=device_id, username=None,
                            at=worker.clock.now(), by=admin_id)


def test_a_cached_token_costs_no_query(ctx: AppContext, client: TestClient, make_user: Any,
                                       login: Any, timer: Timer) -> None:
    make_user("karma")
    auth = login("karma")
    assert _hello(client, auth) == 200  # checked in the database, then cached
    statements: list[str] = []
    event.listen(ctx.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert _hello(client, auth) == 200
    assert not [s for s in statements if "auth_tokens" in s]
    timer.now += ctx.settings.token_cache_seconds
    assert _hello(client, auth) == 200
    assert [s for s in statements if "auth_tokens" in s]  # checked again after the cache time


def test_a_revocation_by_another_worker_takes_effect_within_the_cache_time(
        ctx: AppContext, client: TestClient, make_user: Any, login: Any, timer: Timer,
        other_worker: AppContext) -> None:
    make_user("karma")
    admin = make_user("admin", Role.admin)
    auth = login("karma", "dev-karma")
    assert _hello(client, auth) == 200
    _revoke_device(other_worker, admin, "dev-karma")
    timer.now += ctx.settings.token_cache_seconds - 0.1
    assert _hello(client, auth) == 200  # still believed: this worker checked it lately
    timer.now += 0.1
    assert _hello(client, auth) == 401


def test_a_revocation_in_the_same_worker_takes_effect_at_once(
        ctx: AppContext, client: TestClient, make_user: Any, login: Any, timer: Timer) -> None:
    make_user("karma")
    admin = make_user("admin", Role.admin)
    auth = login("karma", "dev-karma")
    assert _hello(client, auth) == 200
    _revoke_device(ctx, admin, "dev-karma")
    assert _hello(client, auth) == 401


def test_a_deactivated_user_is_refused_at_once_by_the_worker_that_deactivated_them(
        ctx: AppContext, client: TestClient, make_user: Any, login: Any, timer: Timer) -> None:
    make_user("karma")
    admin = make_user("admin", Role.admin)
    auth = login("karma")
    assert _hello(client, auth) == 200
    with transaction(ctx.sessions) as session:
        users.set_active(session, users.user_by_name(session, "karma"), False,
                         at=ctx.clock.now(), by=admin)
    assert _hello(client, auth) == 401


def test_an_expired_token_is_refused_even_while_cached(
        ctx: AppContext, client: TestClient, make_user: Any, login: Any, timer: Timer) -> None:
    make_user("karma")
    auth = login("karma")
    assert _hello(client, auth) == 200
    ctx.clock.advance(timedelta(hours=ctx.settings.token_hours))  # type: ignore[attr-defined]
    assert _hello(client, auth) == 401


def test_the_cache_can_be_turned_off(ctx: AppContext, make_user: Any) -> None:
    ctx.settings.token_cache_seconds = 0
    worker = AppContext.build(ctx.settings, ctx.clock, engine=ctx.engine)
    with TestClient(create_app(worker.settings, ctx=worker)) as client:
        make_user("karma")
        token = client.post("/v1/auth/token", json={
            "username": "karma", "password": "correct horse battery", "device_id": "d1"})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        assert _hello(client, auth) == 200
        assert worker.token_cache is not None and worker.token_cache.seconds == 0
        with transaction(worker.sessions) as session:
            # on the connection: no session hook sees it, as with a change by another worker
            session.connection().execute(update(AuthToken).values(revoked_at=ctx.clock.now()))
        assert _hello(client, auth) == 401


def test_another_login_keeps_the_cache(ctx: AppContext, client: TestClient, make_user: Any,
                                       login: Any, timer: Timer) -> None:
    """A login updates the device's last_seen (and may rehash the password): nothing a cached
    token depends on, so the cache is kept — 50 logins at 09:00 do not empty it 50 times."""
    make_user("karma")
    make_user("sonam")
    auth = login("karma")
    assert _hello(client, auth) == 200
    login("karma")  # the same device again: its last_seen changes
    login("sonam")
    statements: list[str] = []
    event.listen(ctx.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert _hello(client, auth) == 200
    assert not [s for s in statements if "auth_tokens" in s]
