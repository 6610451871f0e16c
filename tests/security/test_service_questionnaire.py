"""A service's questionnaire must exist when the service is created or changed: a typo cannot
make every claim in the field answer 404 (issue 11, Medium). Both databases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import Role
from cati_app.core.questionnaire import default_questionnaire
from tests.support.factories import claim_body, seed_cases


@pytest.fixture
def admin(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
          ) -> dict[str, str]:
    make_user("root", Role.admin)
    return login("root")


def _upload_default(client: TestClient, admin: dict[str, str]) -> None:
    uploaded = client.post("/v1/admin/questionnaires", headers=admin,
                           json=default_questionnaire().model_dump(mode="json"))
    assert uploaded.status_code == 201, uploaded.text


def test_a_service_on_a_questionnaire_that_does_not_exist_is_refused(client, admin):
    _upload_default(client, admin)
    typo = client.post("/v1/admin/services", headers=admin, json={
        "code": "CID", "name": "Issuance of New CID Card", "questionnaire_id": "sett"})
    assert typo.status_code == 422, typo.text
    assert "no questionnaire 'sett'" in typo.json()["detail"]
    assert "'set'" in typo.json()["detail"]  # names the ones that exist
    assert client.get("/v1/admin/services", headers=admin).json() == []
    made = client.post("/v1/admin/services", headers=admin, json={
        "code": "CID", "name": "Issuance of New CID Card", "questionnaire_id": "set"})
    assert made.status_code == 201, made.text


def test_changing_a_service_checks_the_questionnaire_too(ctx, client, admin, make_user, login):
    _upload_default(client, admin)
    assert client.post("/v1/admin/services", headers=admin, json={
        "code": "CID", "name": "CID card"}).status_code == 201
    typo = client.patch("/v1/admin/services/cid", headers=admin,
                        json={"questionnaire_id": "st"})
    assert typo.status_code == 422, typo.text
    renamed = client.patch("/v1/admin/services/cid", headers=admin,
                           json={"name": "Issuance of New CID Card", "questionnaire_id": "set"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Issuance of New CID Card"
    assert renamed.json()["questionnaire_id"] == "set"
    assert client.patch("/v1/admin/services/NOPE", headers=admin,
                        json={"name": "x"}).status_code == 404
    # the field keeps working: an enumerator's claim of the service's cases answers
    service_id = client.get("/v1/admin/services", headers=admin).json()[0]["id"]
    seed_cases(ctx, service_id, 3)
    make_user("enum1")
    claimed = client.post("/v1/queue/claim", headers=login("enum1"), json=claim_body(3))
    assert claimed.status_code == 200, claimed.text
    assert len(claimed.json()["cases"]) == 3


def test_only_admins_change_services(client, admin, make_user, login):
    assert client.post("/v1/admin/services", headers=admin, json={
        "code": "CID", "name": "CID card"}).status_code == 201
    make_user("deki", Role.supervisor)
    assert client.patch("/v1/admin/services/CID", headers=login("deki"),
                        json={"name": "mine"}).status_code == 403
