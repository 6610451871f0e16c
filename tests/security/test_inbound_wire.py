"""The wire refuses what it cannot mean (issue 11): times are ISO 8601 strings, never bare
numbers; NaN and Infinity are not JSON and are refused with a clear 422 everywhere; and a
fault the server did not foresee still answers with a JSON body and a request id."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from cati_app.core.protocol import (
    AppointmentPayload,
    ContactAttemptPayload,
    InterviewVersionPayload,
)
from tests.support.factories import attempt_item, claim_body, push_body, seed_cases, seed_service


@pytest.mark.parametrize("when", [1780372800, 1780372800.5, "1780372800", True])
def test_a_time_must_be_an_iso_string_not_a_number(when):
    with pytest.raises(ValidationError, match="ISO 8601"):
        AppointmentPayload.model_validate({"at": when})


def test_iso_times_still_parse_with_and_without_a_zone():
    aware = ContactAttemptPayload.model_validate(
        {"started_at": "2026-06-02T10:00:00+06:00", "phone_index": 0, "outcome": "busy"})
    naive = ContactAttemptPayload.model_validate(
        {"started_at": "2026-06-02T04:00:00", "phone_index": 0, "outcome": "busy",
         "ended_at": None})
    assert aware.started_at == naive.started_at and aware.started_at.tzinfo is not None


def test_a_pushed_item_with_a_numeric_time_is_refused_alone(ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = client.post("/v1/queue/claim", json=claim_body(1), headers=auth).json()["cases"][0]
    at = ctx.clock.now()
    numeric = attempt_item(case, at)
    numeric["payload"]["started_at"] = at.timestamp()
    good = attempt_item(case, at)
    r = client.post("/v1/sync/push", json=push_body([numeric, good]), headers=auth)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["rejected_invalid", "stored"]
    assert "ISO 8601" in results[0]["detail"]


def _post_raw(client: TestClient, path: str, text: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, content=text.encode(),
                       headers={**(headers or {}), "Content-Type": "application/json"})


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_with_a_clear_422(ctx, client, make_user, login,
                                                       constant):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = client.post("/v1/queue/claim", json=claim_body(1), headers=auth).json()["cases"][0]
    item = attempt_item(case, ctx.clock.now())
    body = json.dumps(push_body([item])).replace('"phone_index": 0', f'"phone_index": 0, '
                                                   f'"score": {constant}')
    assert constant in body
    r = _post_raw(client, "/v1/sync/push", body, auth)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid" and "NaN and Infinity" in r.json()["detail"]
    assert r.headers["x-request-id"]
    # the same words inside a text are just text
    item = attempt_item(case, ctx.clock.now(), note=f"said {constant} twice")
    r = client.post("/v1/sync/push", json=push_body([item]), headers=auth)
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "stored", r.text


def test_nan_is_refused_on_every_json_route_before_any_work(ctx, client, make_user):
    make_user("enum1")
    r = _post_raw(client, "/v1/auth/token",
                  '{"username": "enum1", "password": NaN, "device_id": "d"}')
    assert r.status_code == 422 and "NaN and Infinity" in r.json()["detail"], r.text


def test_an_unforeseen_fault_answers_500_in_json_with_a_request_id(app, caplog):
    name = "Wangmo".join(["Dorji ", ""])  # personal data, not in the traceback's source

    def boom() -> None:
        raise RuntimeError(f"respondent {name} said something")

    app.add_api_route("/v1/test-boom", boom, methods=["GET"])
    with TestClient(app, raise_server_exceptions=False) as client, \
            caplog.at_level(logging.INFO):
        r = client.get("/v1/test-boom", headers={"X-Request-ID": "req-abcdef123"})
    assert r.status_code == 500
    assert r.headers["x-request-id"] == "req-abcdef123"
    assert r.json()["error"] == "internal_error" and "req-abcdef123" in r.json()["detail"]
    assert "Dorji" not in caplog.text  # an exception's message may quote personal data
    assert "RuntimeError" in caplog.text


def test_a_nul_in_a_request_field_is_a_clear_422_on_both_databases(ctx, client, make_user,
                                                                    login):
    """Regression: on PostgreSQL the driver's refusal surfaced as "a number in the request is
    out of range"; SQLite kept the NUL."""
    make_user("boss", "supervisor")
    r = client.post("/v1/auth/token", json={"username": "bo\x00ss", "password": "x",
                                            "device_id": "d"})
    assert r.status_code == 422 and "NUL" in r.json()["detail"], r.text
    r = client.post("/v1/cases/assign", headers=login("boss"),
                    json={"case_ids": [1], "to_user": None, "reason": "moved\x00"})
    assert r.status_code == 422 and "NUL" in r.json()["detail"], r.text


@pytest.mark.parametrize(("sent", "read"), [(1, 1), (0, 0), ("missing", 0), (-1, 0),
                                             ("2", 0), (True, 0), (None, 0)])
def test_an_interview_names_its_number_in_the_payload_model(sent, read):
    """phone_index is a field of the interview payload (it was patched in after serialising
    and read from the raw dict); read leniently as the server always did: what is not a
    number's position means the first number (the case's numbers still bound it)."""
    payload = {"interview_uuid": str(uuid.uuid4()), "version_uuid": str(uuid.uuid4()),
               "questionnaire_id": "set", "questionnaire_version": 1,
               "started_at": "2026-06-02T10:00:00+06:00", "answers": {}}
    if sent != "missing":
        payload["phone_index"] = sent
    assert InterviewVersionPayload.model_validate(payload).phone_index == read
