"""Logins under attack: timing does not tell which usernames exist, and the failure throttle
holds when many guesses arrive at once (issue 11, "Login timing", "Throttling holds under
concurrency"). Both databases."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cati_app.core.protocol import Role
from cati_app.server.app import create_app
from cati_app.server.context import AppContext
from cati_app.server.db import make_engine, transaction
from cati_app.server.migrate import upgrade
from cati_app.server.models import LoginFailure
from cati_app.server.services.accounts import users
from cati_app.server.settings import Settings
from tests.support.constants import PASSWORD
from tests.support.server_thread import InThreadServer

#: enough Argon2 work that hashing, not the database, decides how long a login takes
SLOW_HASHING = {"argon2_time_cost": 2, "argon2_memory_kib": 16 * 1024}
TRIES = 7


def _context(settings: Settings, clock, **changes: object) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    slow = settings.model_copy(update=changes)
    engine = make_engine(slow.database_url, slow.pool_size)
    upgrade(engine)
    context = AppContext.build(slow, clock, engine=engine)
    yield context
    engine.dispose()


@pytest.fixture
def slow_ctx(settings: Settings, clock) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    # a generous throttle: this test measures answers, it must never be refused with 429
    yield from _context(settings, clock, **SLOW_HASHING, login_failures_per_account=1000,
                        login_failures_per_address=1000)


def _add_user(ctx: AppContext, username: str, *, active: bool = True) -> None:
    with transaction(ctx.sessions) as session:
        user = users.create_user(session, ctx.hasher, username=username, password=PASSWORD,
                                 role=Role.enumerator, full_name=username, at=ctx.clock.now())
        user.active = active


def _median_seconds(client: TestClient, username: str) -> float:
    times = []
    for _ in range(TRIES):
        started = time.perf_counter()
        response = client.post("/v1/auth/token", json={
            "username": username, "password": "a wrong guess", "device_id": "dev-probe"})
        times.append(time.perf_counter() - started)
        assert response.status_code == 401, response.text
    return statistics.median(times)


def test_unknown_and_deactivated_users_take_as_long_as_real_ones(slow_ctx: AppContext) -> None:
    _add_user(slow_ctx, "karma")
    _add_user(slow_ctx, "former", active=False)
    with TestClient(create_app(slow_ctx.settings, ctx=slow_ctx)) as client:
        _median_seconds(client, "karma")  # warm up (first request, pool, imports)
        # interleaved rounds, so a busy moment on a shared machine hits every kind alike
        rounds = [(_median_seconds(client, "karma"), _median_seconds(client, "nobody-here"),
                   _median_seconds(client, "former")) for _ in range(2)]
    known = statistics.median(r[0] for r in rounds)
    unknown = statistics.median(r[1] for r in rounds)
    deactivated = statistics.median(r[2] for r in rounds)
    assert known > 0.005, "the test's hashing is too cheap to measure"
    assert unknown >= 0.5 * known, (unknown, known)
    assert deactivated >= 0.5 * known, (deactivated, known)
    assert unknown <= 3 * known, (unknown, known)  # nor much slower (a different path)


@pytest.fixture
def throttled_ctx(settings: Settings, clock) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    # Some hashing work widens the window between "count the failures" and "record this
    # one", as a production cost does; a pool large enough for every guess at once.
    yield from _context(settings, clock, argon2_time_cost=2, argon2_memory_kib=4 * 1024,
                        login_failures_per_account=5, login_failures_per_address=1000,
                        pool_size=25)


def test_twenty_parallel_guesses_are_not_all_checked_when_the_limit_is_five(
        throttled_ctx: AppContext) -> None:
    _add_user(throttled_ctx, "victim")
    with InThreadServer(create_app(throttled_ctx.settings, ctx=throttled_ctx)) as server:
        def guess(i: int) -> int:
            return requests.post(f"{server.url}/v1/auth/token", timeout=60, json={
                "username": "victim", "password": f"guess number {i}",
                "device_id": "dev-x"}).status_code

        with ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(guess, range(20)))
        assert sorted(set(statuses)) == [401, 429], statuses
        # Only checked guesses count; simultaneous ones may over-count each other (refused
        # to be safe), never under-count.
        assert 1 <= statuses.count(401) <= 5, statuses
    with throttled_ctx.sessions() as session:
        recorded = session.scalar(select(func.count()).select_from(LoginFailure)
                                  .where(LoginFailure.username == "victim"))
    assert recorded == statuses.count(401)
