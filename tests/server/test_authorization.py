"""The authorisation matrix of the supervisor, report and admin routes (both backends):
each route refuses the roles it does not serve with 403 and a missing or bad token with 401,
and lets the roles it serves through. The enumerator's own routes are tested with them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import Role
from tests.support.factories import assert_error

SUPERVISION = frozenset({Role.supervisor, Role.admin})
ANALYSIS = frozenset({Role.analyst, Role.supervisor, Role.admin})
ADMINISTRATION = frozenset({Role.admin})
EVERYONE = frozenset(Role)
#: everyone but the read-only agency accounts (which only read their scorecard)
STAFF = EVERYONE - {Role.agency}
SCORECARD_READERS = frozenset({Role.agency, Role.analyst, Role.supervisor, Role.admin})
PATH_PARAMS = {"conflict_id": "1", "case_id": "1", "item_id": "1",
               "interview_uuid": str(uuid.uuid4()), "username": "target",
               "device_id": "dev-target", "qid": "set", "version": "1", "code": "CID",
               "entry_id": "1", "ticket_id": "1", "frame_id": "1", "draw_id": "1"}

#: (method, path template, body, roles allowed)
ROUTES: list[tuple[str, str, Any, frozenset[Role]]] = [
    ("GET", "/v1/cases", None, SUPERVISION),
    ("GET", "/v1/cases/idle-holds", None, SUPERVISION),
    ("GET", "/v1/cases/matching", None, SUPERVISION),
    ("GET", "/v1/cases/released", None, SUPERVISION),
    ("POST", "/v1/cases/{case_id}/phones", {"reason": "checking the number"}, SUPERVISION),
    ("GET", "/v1/quarantine", None, SUPERVISION),
    ("POST", "/v1/quarantine/{item_id}/settle", {"settlement": "dismissed"}, SUPERVISION),
    ("GET", "/v1/reports/room", None, SUPERVISION),
    ("GET", "/v1/reports/trends", None, ANALYSIS),
    ("GET", "/v1/exports/agency.xlsx?agency=DCRC", None, SCORECARD_READERS),
    ("GET", "/v1/reports/response-rates/by?by=office", None, ANALYSIS),
    ("POST", "/v1/cases/assign", {"case_ids": [1], "to_user": None}, SUPERVISION),
    ("POST", "/v1/cases/priority", {"case_ids": [1], "priority": 10}, SUPERVISION),
    ("GET", "/v1/conflicts", None, SUPERVISION),
    ("GET", "/v1/conflicts/{conflict_id}", None, SUPERVISION),
    ("POST", "/v1/conflicts/{conflict_id}/resolve", {"resolution": "done"}, SUPERVISION),
    ("GET", "/v1/interviews", None, SUPERVISION),
    ("POST", "/v1/interviews/{interview_uuid}/approve", {}, SUPERVISION),
    ("POST", "/v1/interviews/{interview_uuid}/reject", {"comment": "redo q3"}, SUPERVISION),
    ("POST", "/v1/samples/import", None, SUPERVISION),
    ("GET", "/v1/samples/batches", None, SUPERVISION),
    ("GET", "/v1/do-not-call", None, SUPERVISION),
    ("POST", "/v1/do-not-call", {"phone": "17654321"}, SUPERVISION),
    ("POST", "/v1/do-not-call/{entry_id}/remove", {"reason": "asked again"}, ADMINISTRATION),
    ("POST", "/v1/frames/import", None, SUPERVISION),
    ("GET", "/v1/frames", None, ANALYSIS),
    ("POST", "/v1/frames/{frame_id}/draws", {"sample_size": 5}, SUPERVISION),
    ("GET", "/v1/draws", None, ANALYSIS),
    ("GET", "/v1/draws/{draw_id}", None, ANALYSIS),
    ("POST", "/v1/draws/{draw_id}/release", {}, SUPERVISION),
    ("GET", "/v1/audit", None, SUPERVISION),
    ("GET", "/v1/reports/progress", None, ANALYSIS),
    ("GET", "/v1/reports/response-rates", None, ANALYSIS),
    ("GET", "/v1/exports/summary.xlsx", None, ANALYSIS),
    ("GET", "/v1/exports/raw.csv", None, ANALYSIS),
    ("GET", "/v1/admin/users", None, ADMINISTRATION),
    ("POST", "/v1/admin/users",
     {"username": "new", "password": "long enough", "role": "analyst"}, ADMINISTRATION),
    ("POST", "/v1/admin/users/{username}/deactivate", None, ADMINISTRATION),
    ("POST", "/v1/admin/users/{username}/activate", None, ADMINISTRATION),
    ("POST", "/v1/admin/users/{username}/password", {"password": "long enough"}, ADMINISTRATION),
    ("POST", "/v1/admin/devices/{device_id}/revoke", None, ADMINISTRATION),
    ("POST", "/v1/admin/users/{username}/unlock", None, ADMINISTRATION),
    ("POST", "/v1/admin/users/{username}/role", {"role": "analyst"}, ADMINISTRATION),
    ("PUT", "/v1/admin/users/{username}/skills", {"languages": ["ne"]}, ADMINISTRATION),
    ("GET", "/v1/admin/locked-accounts", None, ADMINISTRATION),
    ("GET", "/v1/admin/devices", None, ADMINISTRATION),
    ("POST", "/v1/admin/devices/{device_id}/approve?username=target", None, ADMINISTRATION),
    ("PATCH", "/v1/admin/services/{code}", {"name": "Renamed"}, ADMINISTRATION),
    ("GET", "/v1/admin/calling-rules", None, ADMINISTRATION),
    ("PUT", "/v1/admin/calling-rules", {"rules": {}}, ADMINISTRATION),
    ("GET", "/v1/admin/services", None, ADMINISTRATION),
    ("POST", "/v1/admin/services", {"code": "CID", "name": "New CID card"}, ADMINISTRATION),
    ("GET", "/v1/admin/questionnaires", None, ADMINISTRATION),
    ("POST", "/v1/admin/questionnaires", {"id": "set"}, ADMINISTRATION),
    ("POST", "/v1/admin/questionnaires/xlsform", None, SUPERVISION),
    ("GET", "/v1/questionnaires/{qid}/{version}", None, STAFF),
    ("GET", "/v1/scorecard", None, SCORECARD_READERS),
    ("GET", "/v1/tickets", None, SCORECARD_READERS),
    ("GET", "/v1/tickets/{ticket_id}", None, SCORECARD_READERS),
    ("POST", "/v1/tickets/{ticket_id}/state", {"state": "acknowledged", "note": "seen"},
     SUPERVISION | {Role.agency}),
]
#: the enumerator's and everyone's routes, covered by their own tests
OTHER_ROUTES = {("POST", "/v1/auth/token"), ("GET", "/v1/sync/hello"),
                ("POST", "/v1/queue/claim"), ("POST", "/v1/queue/ack"),
                ("POST", "/v1/sync/push"), ("GET", "/v1/sync/pull"),
                ("POST", "/v1/sync/snapshot"),  # tests/server/test_devices_api.py
                ("GET", "/v1/health")}  # open to monitors: tests/server/test_health.py


@pytest.fixture
def tokens(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
           ) -> dict[Role, dict[str, str]]:
    make_user("target")
    login("target")  # registers dev-target
    for role in Role:
        make_user(f"a-{role.value}", role)
    return {role: login(f"a-{role.value}") for role in Role}


def call(client: TestClient, method: str, path: str, body: Any,
         headers: dict[str, str]) -> Any:
    return client.request(method, path.format(**PATH_PARAMS), json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ROUTES,
                         ids=[f"{m} {p}" for m, p, _b, _a in ROUTES])
def test_route_serves_only_its_roles(client: TestClient, tokens: dict[Role, dict[str, str]],
                                     method: str, path: str, body: Any,
                                     allowed: frozenset[Role]) -> None:
    for role in sorted(set(Role) - allowed):
        refused = assert_error(call(client, method, path, body, tokens[role]), 403)
        assert refused["error"] == "forbidden"
    assert_error(call(client, method, path, body, {}), 401)
    assert_error(call(client, method, path, body,
                      {"Authorization": "Bearer not-a-token"}), 401)
    for role in sorted(allowed):
        status = call(client, method, path, body, tokens[role]).status_code
        assert status not in (401, 403, 500), (role, status)


def test_every_route_is_in_the_matrix(app: Any) -> None:
    """A new route must be added to ROUTES (or be an enumerator route tested elsewhere)."""
    served = {(method.upper(), path) for path, operations in app.openapi()["paths"].items()
              for method in operations}
    assert served - OTHER_ROUTES == {(m, p.split("?")[0]) for m, p, _b, _a in ROUTES}
