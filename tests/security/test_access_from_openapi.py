"""Access control generated from the OpenAPI document (DESIGN.md §5, issue 6): every operation
is called as an enumerator with another enumerator's real ids (404 or a per-item rejection,
and never the other's data), every supervisor/analyst/admin operation as an enumerator (403),
and every admin operation as a supervisor (403). An operation this test does not know how to
call fails it: add a recipe below when you add a route."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import Role
from tests.support.constants import TUESDAY_10AM
from tests.support.factories import (
    attempt_item,
    claim_body,
    interview_item,
    push_body,
    seed_cases,
    seed_service,
)

#: which roles each OpenAPI tag serves; an unknown tag fails the test
AUDIENCE = {
    "supervision": {Role.supervisor, Role.admin},
    "reports": {Role.analyst, Role.supervisor, Role.admin},
    "exports": {Role.analyst, Role.supervisor, Role.admin},
    "admin": {Role.admin},
    "queue": {Role.enumerator},
    "sync": {Role.enumerator},
    "auth": set(Role),
    "questionnaires": set(Role) - {Role.agency},
    "operations": set(Role),
    "scorecard": {Role.agency, Role.analyst, Role.supervisor, Role.admin},
    # read by analysts too; changed by the agency, supervisors and admins (OVERRIDES)
    "complaints": {Role.agency, Role.analyst, Role.supervisor, Role.admin},
}
#: operations whose audience differs from their tag's
OVERRIDES = {("POST", "/v1/admin/questionnaires/xlsform"): {Role.supervisor, Role.admin},
             ("POST", "/v1/do-not-call/{entry_id}/remove"): {Role.admin},
             ("GET", "/v1/reports/room"): {Role.supervisor, Role.admin},
             ("POST", "/v1/tickets/{ticket_id}/state"): {Role.agency, Role.supervisor,
                                                          Role.admin}}
#: operations that need no login, or that any logged-in user may call
PUBLIC = {("POST", "/v1/auth/token"), ("GET", "/v1/health")}
ANY_USER = {("GET", "/v1/sync/hello")}


@dataclass
class Scene:
    """Two enumerators: ``victim`` completed an interview on one case and holds another (which
    the intruder held for a while, so its details once reached the intruder legitimately); the
    ``intruder`` tries to reach them. ``secrets``: what the intruder must never see."""

    client: TestClient
    tokens: dict[str, dict[str, str]]
    case: dict[str, Any]
    grant_id: str
    interview_uuid: str
    conflict_id: int
    secrets: list[str]
    other: dict[str, Any]


@pytest.fixture
def scene(ctx, client, make_user, login) -> Scene:  # type: ignore[no-untyped-def]
    for name, role in [("victim", Role.enumerator), ("intruder", Role.enumerator),
                       ("boss", Role.supervisor), ("numbers", Role.analyst),
                       ("root", Role.admin), ("press", Role.agency)]:
        make_user(name, role)
    tokens = {name: login(name) for name in ("victim", "intruder", "boss", "numbers", "root",
                                             "press")}
    seed_cases(ctx, seed_service(ctx), 3)
    grant = client.post("/v1/queue/claim", json=claim_body(2, "dev-victim"),
                        headers=tokens["victim"]).json()
    case, other = grant["cases"][0], grant["cases"][1]
    done = interview_item(other, ctx.clock.now())
    r = client.post("/v1/sync/push", json=push_body([done], "dev-victim"),
                    headers=tokens["victim"])
    assert r.json()["results"][0]["status"] == "stored"
    client.post("/v1/cases/assign", headers=tokens["boss"], json={
        "case_ids": [case["case_id"]], "to_user": "intruder", "force": True, "reason": "x"})
    stale = client.post("/v1/sync/push", json=push_body(
        [interview_item(case, ctx.clock.now())], "dev-victim"), headers=tokens["victim"])
    conflict_id = stale.json()["results"][0]["conflict_id"]
    client.post("/v1/cases/assign", headers=tokens["boss"], json={
        "case_ids": [case["case_id"]], "to_user": "victim", "force": True, "reason": "back"})
    return Scene(client, tokens, case, grant["grant_id"], done["payload"]["interview_uuid"],
                 conflict_id, [other["respondent_name"], *other["phones"]], other)


def _operations(app: Any) -> list[tuple[str, str, str]]:
    return [(method.upper(), path, (op.get("tags") or ["untagged"])[0])
            for path, ops in app.openapi()["paths"].items() for method, op in ops.items()]


def _recipes(s: Scene) -> dict[tuple[str, str], Callable[[dict[str, str]], Any]]:
    """How to call each operation with the victim's real ids."""
    c, case_id = s.client, s.case["case_id"]

    def post(path: str, body: Any = None) -> Callable[[dict[str, str]], Any]:
        return lambda h: c.post(path, json=body, headers=h)

    def get(path: str, **params: Any) -> Callable[[dict[str, str]], Any]:
        return lambda h: c.get(path, params=params, headers=h)

    item = attempt_item(s.other, TUESDAY_10AM)  # a case the intruder never held
    return {
        ("POST", "/v1/auth/token"): post("/v1/auth/token", {
            "username": "victim", "password": "a wrong guess", "device_id": "dev-intruder"}),
        ("GET", "/v1/sync/hello"): get("/v1/sync/hello"),
        ("POST", "/v1/queue/claim"): post("/v1/queue/claim", {
            **claim_body(1, "dev-intruder"), "request_uuid": _grant_request(s)}),
        ("POST", "/v1/queue/ack"): post("/v1/queue/ack", {"grant_id": s.grant_id,
                                                          "case_ids": [case_id]}),
        ("POST", "/v1/sync/push"): post("/v1/sync/push", push_body([item], "dev-intruder")),
        ("GET", "/v1/sync/pull"): get("/v1/sync/pull"),
        ("POST", "/v1/sync/snapshot"): post("/v1/sync/snapshot", {"device_id": "dev-intruder"}),
        ("GET", "/v1/cases/idle-holds"): get("/v1/cases/idle-holds"),
        ("GET", "/v1/cases"): get("/v1/cases", text=str(case_id)),
        ("POST", "/v1/cases/assign"): post("/v1/cases/assign", {
            "case_ids": [case_id], "to_user": "intruder", "force": True, "reason": "mine"}),
        ("POST", "/v1/cases/priority"): post("/v1/cases/priority", {
            "case_ids": [case_id], "priority": 99}),
        ("GET", "/v1/conflicts"): get("/v1/conflicts"),
        ("GET", "/v1/conflicts/{conflict_id}"): get(f"/v1/conflicts/{s.conflict_id}"),
        ("POST", "/v1/conflicts/{conflict_id}/resolve"): post(
            f"/v1/conflicts/{s.conflict_id}/resolve", {"resolution": "mine"}),
        ("POST", "/v1/interviews/{interview_uuid}/approve"): post(
            f"/v1/interviews/{s.interview_uuid}/approve", {}),
        ("POST", "/v1/interviews/{interview_uuid}/reject"): post(
            f"/v1/interviews/{s.interview_uuid}/reject", {"comment": "redo"}),
        ("POST", "/v1/samples/import"): lambda h: c.post(
            "/v1/samples/import", headers=h, data={"service": "CID"},
            files={"file": ("list.csv", b"name,phone\nA,17123456\n", "text/csv")}),
        ("GET", "/v1/reports/progress"): get("/v1/reports/progress"),
        ("GET", "/v1/reports/response-rates"): get("/v1/reports/response-rates"),
        ("GET", "/v1/exports/summary.xlsx"): get("/v1/exports/summary.xlsx"),
        ("GET", "/v1/exports/raw.csv"): get("/v1/exports/raw.csv"),
        ("GET", "/v1/admin/users"): get("/v1/admin/users"),
        ("POST", "/v1/admin/users"): post("/v1/admin/users", {
            "username": "sneaky", "password": "long enough", "role": "admin"}),
        ("POST", "/v1/admin/users/{username}/deactivate"): post(
            "/v1/admin/users/victim/deactivate"),
        ("POST", "/v1/admin/users/{username}/activate"): post("/v1/admin/users/victim/activate"),
        ("POST", "/v1/admin/users/{username}/password"): post(
            "/v1/admin/users/victim/password", {"password": "taken over"}),
        ("POST", "/v1/admin/devices/{device_id}/revoke"): post(
            "/v1/admin/devices/dev-victim/revoke"),
        ("POST", "/v1/admin/users/{username}/unlock"): post("/v1/admin/users/victim/unlock"),
        ("GET", "/v1/admin/devices"): get("/v1/admin/devices"),
        ("POST", "/v1/admin/devices/{device_id}/approve"): lambda h: c.post(
            "/v1/admin/devices/dev-intruder/approve", params={"username": "intruder"},
            headers=h),
        ("PATCH", "/v1/admin/services/{code}"): lambda h: c.patch(
            "/v1/admin/services/CID", json={"questionnaire_id": "set"}, headers=h),
        ("GET", "/v1/admin/calling-rules"): get("/v1/admin/calling-rules"),
        ("PUT", "/v1/admin/calling-rules"): lambda h: c.put(
            "/v1/admin/calling-rules", json={"rules": {"attempt_cap": 2}}, headers=h),
        ("GET", "/v1/admin/services"): get("/v1/admin/services"),
        ("POST", "/v1/admin/services"): post("/v1/admin/services", {"code": "X", "name": "X"}),
        ("GET", "/v1/admin/questionnaires"): get("/v1/admin/questionnaires"),
        ("POST", "/v1/admin/questionnaires"): post("/v1/admin/questionnaires", {"id": "set"}),
        ("GET", "/v1/questionnaires/{qid}/{version}"): get("/v1/questionnaires/set/1"),
        ("POST", "/v1/admin/questionnaires/xlsform"): lambda h: c.post(
            "/v1/admin/questionnaires/xlsform", headers=h, data={"service": "CID"},
            files={"file": ("set.xlsx", b"not a workbook", "application/octet-stream")}),
        ("GET", "/v1/health"): get("/v1/health"),
        ("GET", "/v1/interviews"): get("/v1/interviews"),
        ("GET", "/v1/cases/matching"): get("/v1/cases/matching", text=str(case_id)),
        ("GET", "/v1/cases/released"): get("/v1/cases/released"),
        ("POST", "/v1/cases/{case_id}/phones"): post(f"/v1/cases/{case_id}/phones",
                                                    {"reason": "I want the number"}),
        ("GET", "/v1/quarantine"): get("/v1/quarantine", status="all"),
        ("POST", "/v1/quarantine/{item_id}/settle"): post("/v1/quarantine/1/settle",
                                                         {"settlement": "dismissed"}),
        ("GET", "/v1/reports/room"): get("/v1/reports/room"),
        ("GET", "/v1/reports/trends"): get("/v1/reports/trends"),
        ("GET", "/v1/exports/agency.xlsx"): get("/v1/exports/agency.xlsx", agency="DCRC"),
        ("GET", "/v1/reports/response-rates/by"): get("/v1/reports/response-rates/by",
                                                      by="enumerator"),
        ("GET", "/v1/admin/locked-accounts"): get("/v1/admin/locked-accounts"),
        ("GET", "/v1/audit"): get("/v1/audit", case_id=str(case_id)),
        ("GET", "/v1/samples/batches"): get("/v1/samples/batches"),
        ("GET", "/v1/do-not-call"): get("/v1/do-not-call"),
        ("POST", "/v1/do-not-call"): post("/v1/do-not-call", {"phone": "17654321"}),
        ("POST", "/v1/do-not-call/{entry_id}/remove"): post("/v1/do-not-call/1/remove",
                                                           {"reason": "call me again"}),
        ("POST", "/v1/frames/import"): lambda h: c.post(
            "/v1/frames/import", headers=h, data={"name": "mine"},
            files={"file": ("frame.csv", b"service,name,phone\nCID,A,17123456\n", "text/csv")}),
        ("GET", "/v1/frames"): get("/v1/frames"),
        ("POST", "/v1/frames/{frame_id}/draws"): post("/v1/frames/1/draws", {"sample_size": 1}),
        ("GET", "/v1/draws"): get("/v1/draws"),
        ("GET", "/v1/draws/{draw_id}"): get("/v1/draws/1"),
        ("POST", "/v1/draws/{draw_id}/release"): post("/v1/draws/1/release", {}),
        ("POST", "/v1/admin/users/{username}/role"): post("/v1/admin/users/victim/role",
                                                          {"role": "admin"}),
        ("GET", "/v1/scorecard"): get("/v1/scorecard", period_kind="month"),
        ("GET", "/v1/tickets"): get("/v1/tickets"),
        ("GET", "/v1/tickets/{ticket_id}"): get("/v1/tickets/1"),
        ("POST", "/v1/tickets/{ticket_id}/state"): post("/v1/tickets/1/state", {
            "state": "resolved", "note": "closing it myself"}),
        ("PUT", "/v1/admin/users/{username}/skills"): lambda h: c.put(
            "/v1/admin/users/victim/skills", json={"languages": ["dz"], "skills": []},
            headers=h),
    }


def _grant_request(s: Scene) -> str:
    with s.client.app.state.ctx.sessions() as session:  # type: ignore[attr-defined]
        from cati_app.server.models import Grant

        return session.get_one(Grant, s.grant_id).request_uuid


def _assert_no_data(response: Any, s: Scene) -> None:
    text = response.text
    for secret in s.secrets:
        assert secret not in text, (response.request.url, secret)


def test_the_test_knows_how_to_call_every_operation(app, scene) -> None:
    recipes = _recipes(scene)
    ops = _operations(app)
    unknown = sorted({(m, p) for m, p, _t in ops} - set(recipes))
    assert not unknown, f"add a recipe (and its audience) for the new operations: {unknown}"
    assert not {t for _m, _p, t in ops} - set(AUDIENCE), "a new tag: say which roles it serves"


def test_an_enumerator_never_reaches_another_enumerators_data(app, scene) -> None:
    intruder = scene.tokens["intruder"]
    for (method, path), call in _recipes(scene).items():
        r = call(intruder)
        assert r.status_code < 500, (method, path, r.text)
        _assert_no_data(r, scene)
    ack = _recipes(scene)[("POST", "/v1/queue/ack")](intruder)
    assert ack.status_code == 200 and ack.json()["acknowledged"] == []
    pushed = _recipes(scene)[("POST", "/v1/sync/push")](intruder).json()["results"][0]
    assert pushed["status"] == "rejected_invalid" and "not one of yours" in pushed["detail"]
    replayed = _recipes(scene)[("POST", "/v1/queue/claim")](intruder)
    assert replayed.status_code in (403, 404, 409, 422), replayed.text
    assert "cases" not in replayed.json()


@pytest.mark.parametrize("caller", ["intruder", "boss", "press"])
def test_roles_outside_an_operations_audience_get_403(app, scene, caller: str) -> None:
    role = {"intruder": Role.enumerator, "boss": Role.supervisor, "press": Role.agency}[caller]
    recipes = _recipes(scene)
    refused = 0
    for method, path, tag in _operations(app):
        if (method, path) in PUBLIC | ANY_USER or role in OVERRIDES.get((method, path),
                                                                        AUDIENCE[tag]):
            continue
        r = recipes[(method, path)](scene.tokens[caller])
        assert r.status_code == 403, (caller, method, path, r.status_code, r.text)
        assert r.json()["error"] == "forbidden"
        _assert_no_data(r, scene)
        refused += 1
    assert refused >= (8 if role == Role.supervisor else 20)


def test_an_agency_account_reads_its_scorecard_without_names_or_numbers(app, scene) -> None:
    """What the agency may call (its scorecard, its tickets, the server's hello) never carries
    a name or a phone number. The scene has no complaint, so a route naming one ticket is 404
    (tests/server/test_tickets.py has an agency move its own ticket)."""
    for method, path, tag in _operations(app):
        if Role.agency in OVERRIDES.get((method, path), AUDIENCE[tag]) and (
                method, path) not in PUBLIC:
            r = _recipes(scene)[(method, path)](scene.tokens["press"])
            expected = 404 if "{ticket_id}" in path else 200
            assert r.status_code == expected, (method, path, r.text)
            _assert_no_data(r, scene)
