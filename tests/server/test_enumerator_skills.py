"""Issue 18: an enumerator's languages and skills, set through the admin API and audited
(both backends)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import Role
from cati_app.server.context import AppContext
from tests.support.factories import assert_error, audits


@pytest.fixture
def admin(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
          ) -> dict[str, str]:
    make_user("root", Role.admin)
    return login("root")


def test_skills_are_set_listed_and_audited_with_before_and_after(
        client: TestClient, ctx: AppContext, admin: dict[str, str],
        make_user: Callable[..., int]) -> None:
    karma = make_user("karma")
    r = client.put("/v1/admin/users/karma/skills", headers=admin,
                   json={"languages": ["ne", "dz", "ne"], "skills": ["refusal_conversion"]})
    assert r.status_code == 200, r.text
    # catalogue order, repeats dropped
    assert r.json()["user"]["languages"] == ["dz", "ne"]
    assert r.json()["user"]["skills"] == ["refusal_conversion"]
    listed = {u["username"]: u for u in client.get("/v1/admin/users", headers=admin).json()}
    assert listed["karma"]["languages"] == ["dz", "ne"]
    assert listed["root"]["languages"] == [] and listed["root"]["skills"] == []
    r = client.put("/v1/admin/users/karma/skills", headers=admin, json={"languages": ["en"]})
    assert r.json()["user"] == {**r.json()["user"], "languages": ["en"], "skills": []}
    entries = audits(ctx, "user.skills", karma)
    assert [e.details for e in entries] == [
        {"before": {"languages": [], "skills": []},
         "after": {"languages": ["dz", "ne"], "skills": ["refusal_conversion"]}},
        {"before": {"languages": ["dz", "ne"], "skills": ["refusal_conversion"]},
         "after": {"languages": ["en"], "skills": []}}]


def test_setting_the_same_skills_again_records_nothing(
        client: TestClient, ctx: AppContext, admin: dict[str, str],
        make_user: Callable[..., int]) -> None:
    karma = make_user("karma")
    for _ in range(2):
        assert client.put("/v1/admin/users/karma/skills", headers=admin,
                          json={"languages": ["tsj"]}).status_code == 200
    assert len(audits(ctx, "user.skills", karma)) == 1


@pytest.mark.parametrize(("body", "names"), [
    ({"languages": ["fr"]}, "dz (Dzongkha)"),
    ({"languages": ["dz"], "skills": ["juggling"]}, "refusal_conversion"),
    ({"languages": ["dz"], "level": 3}, ""),
    ({"skills": []}, ""),
])
def test_unknown_codes_are_refused_naming_the_accepted_ones(
        client: TestClient, admin: dict[str, str], make_user: Callable[..., int],
        body: dict[str, Any], names: str) -> None:
    make_user("karma")
    error = assert_error(client.put("/v1/admin/users/karma/skills", headers=admin, json=body),
                         422)
    assert names in str(error)


def test_unknown_user_is_404_and_other_roles_are_refused(
        client: TestClient, admin: dict[str, str], make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    assert_error(client.put("/v1/admin/users/nobody/skills", headers=admin,
                            json={"languages": ["dz"]}), 404)
    make_user("boss", Role.supervisor)
    assert_error(client.put("/v1/admin/users/boss/skills", headers=login("boss"),
                            json={"languages": ["dz"]}), 403)
