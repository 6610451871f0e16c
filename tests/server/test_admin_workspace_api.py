"""Admin routes the desktop's admin workspace needs beyond the older ones: a role change,
the accounts locked by failed logins, the list of call lists (both backends)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from cati_app.core.clock import FixedClock
from cati_app.core.protocol import Role
from cati_app.server.context import AppContext
from tests.support.constants import PASSWORD
from tests.support.factories import assert_error, audits, seed_cid_service


@pytest.fixture
def admin(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
          ) -> dict[str, str]:
    make_user("root", Role.admin)
    return login("root")


def test_a_role_change_ends_the_sessions_and_is_audited(client: TestClient, ctx: AppContext,
                                                        admin, make_user, login) -> None:
    user_id = make_user("karma", Role.enumerator)
    old_token = login("karma")
    reply = client.post("/v1/admin/users/karma/role", headers=admin, json={"role": "supervisor"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["user"]["role"] == "supervisor"
    assert client.get("/v1/sync/hello", headers=old_token).status_code == 401
    assert client.get("/v1/cases", headers=login("karma")).status_code == 200
    [entry] = audits(ctx, "user.role", user_id)
    assert entry.details == {"from": "enumerator", "to": "supervisor"}


def test_a_role_change_is_refused_for_oneself_a_stranger_and_a_non_admin(
        client: TestClient, admin, make_user, login) -> None:
    assert_error(client.post("/v1/admin/users/root/role", headers=admin,
                             json={"role": "analyst"}), 409)
    assert_error(client.post("/v1/admin/users/nobody/role", headers=admin,
                             json={"role": "analyst"}), 404)
    assert_error(client.post("/v1/admin/users/root/role", headers=admin,
                             json={"role": "king"}), 422)
    make_user("sup", Role.supervisor)
    assert_error(client.post("/v1/admin/users/root/role", headers=login("sup"),
                             json={"role": "analyst"}), 403)


def test_locked_accounts_are_listed_until_unlocked(client: TestClient, ctx: AppContext,
                                                   clock: FixedClock, admin, make_user) -> None:
    make_user("pema")
    limit = ctx.settings.login_failures_per_account
    for _ in range(limit):
        client.post("/v1/auth/token", json={"username": "pema", "password": "wrong password",
                                            "device_id": "dev-p"})
    for _ in range(limit):  # a stranger's guesses lock nobody
        client.post("/v1/auth/token", json={"username": "ghost", "password": "wrong password",
                                            "device_id": "dev-g"})
    # the next try is refused: the list says so
    refused = client.post("/v1/auth/token", json={"username": "pema", "password": PASSWORD,
                                                  "device_id": "dev-p"})
    assert refused.status_code == 429
    [lock] = client.get("/v1/admin/locked-accounts", headers=admin).json()
    assert (lock["username"], lock["failed_logins"]) == ("pema", limit)
    assert client.post("/v1/admin/users/pema/unlock", headers=admin).status_code == 200
    assert client.get("/v1/admin/locked-accounts", headers=admin).json() == []
    # and a lock that has run out is not listed either
    for _ in range(limit):
        client.post("/v1/auth/token", json={"username": "pema", "password": "wrong password",
                                            "device_id": "dev-p"})
    assert len(client.get("/v1/admin/locked-accounts", headers=admin).json()) == 1
    clock.advance(ctx.settings.login_window + timedelta(seconds=1))
    assert client.get("/v1/admin/locked-accounts", headers=admin).json() == []


def test_call_lists_are_listed_newest_first(client: TestClient, ctx: AppContext, admin,
                                            make_user, login) -> None:
    seed_cid_service(ctx)
    make_user("sup", Role.supervisor)
    sup = login("sup")
    for name, rows, first in (("May list", 2, 1000), ("June list", 3, 2000)):
        body = "name,phone\n" + "".join(f"Person {n},+9751712{n:04d}\n"
                                         for n in range(first, first + rows))
        reply = client.post("/v1/samples/import", headers=sup,
                            files={"file": ("list.csv", body.encode())},
                            data={"service": "CID", "batch_name": name})
        assert reply.status_code == 200, reply.text
    for headers in (admin, sup):
        batches = client.get("/v1/samples/batches", headers=headers).json()
        assert [(b["name"], b["service_code"], b["imported_by"], b["cases"])
                for b in batches] == [("June list", "CID", "sup", 3), ("May list", "CID", "sup", 2)]
    make_user("enum9")
    assert_error(client.get("/v1/samples/batches", headers=login("enum9")), 403)
