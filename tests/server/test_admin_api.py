"""Admin API: users, services, questionnaires, devices; the questionnaire download (both
backends)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import ChangeType, Role
from cati_app.core.questionnaire import default_questionnaire
from cati_app.server.context import AppContext
from cati_app.server.models import CaseState
from cati_app.server.services.accounts import channels
from tests.support.constants import PASSWORD
from tests.support.factories import (
    assert_error,
    audits,
    feed,
    give,
    load_case,
    seed_case,
    seed_cid_service,
)


@pytest.fixture
def admin(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
          ) -> dict[str, str]:
    make_user("root", Role.admin)
    return login("root")


def token_for(client: TestClient, username: str, password: str = PASSWORD,
              device_id: str = "dev-x") -> Any:
    return client.post("/v1/auth/token", json={"username": username, "password": password,
                                               "device_id": device_id})


def test_create_and_list_users_without_secrets(client: TestClient, ctx: AppContext,
                                               admin: dict[str, str]) -> None:
    response = client.post("/v1/admin/users", headers=admin, json={
        "username": "dechen", "password": "long enough", "role": "supervisor",
        "full_name": "Dechen Zangmo"})
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "supervisor" and response.json()["active"] is True
    listed = client.get("/v1/admin/users", headers=admin).json()
    assert [u["username"] for u in listed] == ["dechen", "root"]
    assert all("password" not in key for user in listed for key in user)
    assert token_for(client, "dechen", "long enough").status_code == 200
    assert len(audits(ctx, "user.create", response.json()["id"])) == 1
    assert_error(client.post("/v1/admin/users", headers=admin, json={
        "username": "dechen", "password": "long enough", "role": "analyst"}), 409)


@pytest.mark.parametrize("body", [
    {"username": "x", "password": "short", "role": "analyst"},
    {"username": "x", "password": "long enough", "role": "boss"},
    {"username": "", "password": "long enough", "role": "analyst"},
    {"username": "x", "password": "long enough", "role": "analyst", "is_admin": True},
])
def test_bad_user_bodies_get_422(client: TestClient, admin: dict[str, str],
                                 body: dict[str, Any]) -> None:
    assert assert_error(client.post("/v1/admin/users", headers=admin, json=body), 422)["fields"]


def test_deactivate_revokes_access_and_returns_held_cases(
        client: TestClient, ctx: AppContext, admin: dict[str, str],
        make_user: Callable[..., int], login: Callable[..., dict[str, str]]) -> None:
    karma = make_user("karma")
    karma_headers = login("karma")
    case_id = seed_case(ctx, seed_cid_service(ctx))
    give(ctx, case_id, karma)
    response = client.post("/v1/admin/users/karma/deactivate", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["cases_returned"] == 1 and not response.json()["user"]["active"]
    assert client.get("/v1/sync/hello", headers=karma_headers).status_code == 401
    assert token_for(client, "karma").status_code == 401
    case = load_case(ctx, case_id)
    assert (case.state, case.holder_id) == (CaseState.QUEUED, None)
    assert feed(ctx, karma, ChangeType.case_revoked)[0].body["reason"] == "enumerator deactivated"

    assert client.post("/v1/admin/users/karma/activate", headers=admin).status_code == 200
    assert token_for(client, "karma").status_code == 200
    assert_error(client.post("/v1/admin/users/root/deactivate", headers=admin), 409)
    assert_error(client.post("/v1/admin/users/nobody/activate", headers=admin), 404)


def test_password_reset(client: TestClient, admin: dict[str, str],
                        make_user: Callable[..., int],
                        login: Callable[..., dict[str, str]]) -> None:
    make_user("karma")
    old_headers = login("karma")
    response = client.post("/v1/admin/users/karma/password", headers=admin,
                           json={"password": "a brand new one"})
    assert response.status_code == 200, response.text
    assert client.get("/v1/sync/hello", headers=old_headers).status_code == 401
    assert token_for(client, "karma").status_code == 401
    assert token_for(client, "karma", "a brand new one").status_code == 200
    assert_error(client.post("/v1/admin/users/karma/password", headers=admin,
                             json={"password": "short"}), 422)


def test_services(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/v1/admin/services", headers=admin, json={
        "code": "cid", "name": "Issuance of New CID Card", "agency": "DCRC"})
    assert response.status_code == 201, response.text
    assert response.json()["code"] == "CID" and response.json()["questionnaire_id"] == "set"
    assert [s["code"] for s in client.get("/v1/admin/services", headers=admin).json()] == [
        "CID"]
    assert_error(client.post("/v1/admin/services", headers=admin,
                             json={"code": "CID", "name": "again"}), 409)
    assert_error(client.post("/v1/admin/services", headers=admin, json={"code": "X"}), 422)


def test_questionnaire_upload_list_and_download(
        client: TestClient, ctx: AppContext, admin: dict[str, str],
        make_user: Callable[..., int], login: Callable[..., dict[str, str]]) -> None:
    karma = make_user("karma")
    definition = default_questionnaire().model_dump(mode="json")
    assert client.post("/v1/admin/questionnaires", headers=admin,
                       json=definition).status_code == 201
    response = client.post("/v1/admin/questionnaires", headers=admin,
                           json={**definition, "version": 2})
    assert response.status_code == 201, response.text
    assert response.json() == {**response.json(), "questionnaire_id": "set", "version": 2}
    listed = client.get("/v1/admin/questionnaires", headers=admin).json()
    assert [(q["questionnaire_id"], q["version"]) for q in listed] == [("set", 1), ("set", 2)]
    notices = feed(ctx, karma, ChangeType.questionnaire_available)
    assert [n.body["version"] for n in notices] == [1, 2]

    download = client.get("/v1/questionnaires/set/2", headers=login("karma"))
    assert download.status_code == 200 and download.json()["version"] == 2
    assert download.json()["items"] == definition["items"]
    assert_error(client.get("/v1/questionnaires/set/9", headers=admin), 404)
    assert_error(client.post("/v1/admin/questionnaires", headers=admin,
                             json={**definition, "version": 2}), 409)


def test_bad_questionnaires_are_refused_with_their_problems(
        client: TestClient, admin: dict[str, str]) -> None:
    definition = default_questionnaire().model_dump(mode="json")
    broken = {**definition, "version": 3, "items": [{**definition["items"][0],
                                                     "relevnt": "${x} = 1"}]}
    body = assert_error(client.post("/v1/admin/questionnaires", headers=admin, json=broken),
                        422)
    assert "relevnt" in body["detail"] and body["fields"]
    assert_error(client.post("/v1/admin/questionnaires", headers=admin, json=[1, 2]), 422)
    assert client.get("/v1/admin/questionnaires", headers=admin).json() == []


def test_device_revocation(client: TestClient, admin: dict[str, str],
                           make_user: Callable[..., int],
                           login: Callable[..., dict[str, str]]) -> None:
    make_user("karma")
    lost = login("karma", "laptop-7")
    kept = login("karma", "laptop-8")
    response = client.post("/v1/admin/devices/laptop-7/revoke", headers=admin)
    assert response.status_code == 200 and response.json()["revoked"] == 1
    assert client.get("/v1/sync/hello", headers=lost).status_code == 401
    assert client.get("/v1/sync/hello", headers=kept).status_code == 200
    assert token_for(client, "karma", device_id="laptop-7").status_code == 401
    assert_error(client.post("/v1/admin/devices/laptop-7/revoke", headers=admin), 404)


def test_an_agency_account_is_made_with_its_agency_and_keeps_its_role(
        client, make_user, login) -> None:  # type: ignore[no-untyped-def]
    make_user("root", "admin")
    admin = login("root")
    body = {"username": "dcrc", "password": "long enough words", "role": "agency"}
    missing = client.post("/v1/admin/users", json=body, headers=admin)
    assert missing.status_code == 400 and "needs its agency" in missing.json()["detail"]
    made = client.post("/v1/admin/users", json={**body, "agency": "DCRC"}, headers=admin)
    assert made.status_code == 201 and made.json()["agency"] == "DCRC"
    assert client.post("/v1/admin/users/dcrc/role", json={"role": "analyst"},
                       headers=admin).status_code == 409
    make_user("karma")
    assert client.post("/v1/admin/users/karma/role", json={"role": "agency"},
                       headers=admin).status_code == 409


def test_nobody_can_sign_in_as_a_channels_system_account(client: TestClient, ctx: AppContext,
                                                         admin: dict[str, str]) -> None:
    with ctx.transaction() as session:
        channels.channel_user_id(session, "sms", ctx.clock.now())
    base = "/v1/admin/users/sms-channel"
    for path, body in ((f"{base}/activate", None),
                       (f"{base}/password", {"password": "a long new passphrase 42"}),
                       (f"{base}/role", {"role": "supervisor"})):
        refused = client.post(path, json=body, headers=admin)
        assert assert_error(refused, 409)["detail"].startswith(
            "sms-channel is a channel's system account"), path
    skills = client.put(f"{base}/skills", json={"languages": ["dz"], "skills": []},
                        headers=admin)
    assert_error(skills, 409)
    login = client.post("/v1/auth/token", json={"username": "sms-channel", "password": "!",
                                                "device_id": "dev-x"})
    assert login.status_code == 401
