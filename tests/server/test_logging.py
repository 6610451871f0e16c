"""Structured logs: one JSON object per request with its id, and no personal data — no query
string, name, phone number, password or token — even when the request carries them."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import Role
from cati_app.server.logging_setup import (
    JsonFormatter,
    RequestContextFilter,
    RequestInfo,
    TextFormatter,
    current_request,
    note_user,
)
from cati_app.server.request_log import request_id_from
from tests.support.constants import PASSWORD

NAME, PHONE = "Karma Dorji", "17123456"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything the server's loggers write during the test, formatted as `cati-server serve`
    does (the test's own HTTP client logs full URLs on its logger, which is not the server's)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger("cati_app")
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _entries(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_a_request_logs_one_json_line_without_personal_data(
        client: TestClient, make_user, login, log_lines: io.StringIO) -> None:
    supervisor_id = make_user("super1", Role.supervisor)
    auth = login("super1")
    token = auth["Authorization"].removeprefix("Bearer ")
    response = client.get("/v1/cases", params={"text": NAME, "holder": PHONE}, headers=auth)
    assert response.status_code == 200, response.text
    request_id = response.headers["x-request-id"]

    access = [e for e in _entries(log_lines) if e["logger"] == "cati_app.server.access"]
    mine = [e for e in access if e.get("request_id") == request_id]
    assert len(mine) == 1
    assert mine[0] | {"time": "t", "duration_ms": 0} == {
        "time": "t", "level": "INFO", "logger": "cati_app.server.access",
        "message": "GET /v1/cases 200", "request_id": request_id, "method": "GET",
        "path": "/v1/cases", "status": 200, "duration_ms": 0, "user_id": supervisor_id}
    everything = log_lines.getvalue()
    for secret in (NAME, "Karma", PHONE, token, PASSWORD, "text=", "?"):
        assert secret not in everything


def test_the_proxy_request_id_is_kept_when_sane_and_replaced_otherwise(
        client: TestClient, log_lines: io.StringIO) -> None:
    kept = client.get("/v1/health", headers={"X-Request-ID": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"})
    assert kept.headers["x-request-id"] == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    replaced = client.get("/v1/health", headers={"X-Request-ID": NAME})
    assert replaced.headers["x-request-id"] != NAME
    assert len(replaced.headers["x-request-id"]) == 32
    assert NAME not in log_lines.getvalue()
    ids = [e["request_id"] for e in _entries(log_lines) if e["logger"].endswith("access")]
    assert ids == [kept.headers["x-request-id"], replaced.headers["x-request-id"]]


@pytest.mark.parametrize("header", ["", "short", "x" * 65, "a b c d e f g h", "id;drop=1",
                                    "Bearer abcdefghijkl"])
def test_odd_request_ids_are_replaced(header: str) -> None:
    made = request_id_from([(b"x-request-id", header.encode())])
    assert made != header
    assert len(made) == 32


def test_every_record_during_a_request_carries_its_id_and_user() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.logging.inner")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    logger.addHandler(handler)
    token = current_request.set(RequestInfo(request_id="req-12345678"))
    try:
        note_user(42)
        logger.warning("database busy")
    finally:
        current_request.reset(token)
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert (entry["request_id"], entry["user_id"], entry["message"]) == (
        "req-12345678", 42, "database busy")


def test_exception_messages_are_withheld_from_the_log() -> None:
    # Database errors quote their SQL parameters (names, phones) in the message.
    try:
        raise ValueError(f"INSERT failed [parameters: ('{NAME}', '+975{PHONE}')]")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "push failed", None,
                                   sys.exc_info())
    for formatter in (JsonFormatter(), TextFormatter()):
        text = formatter.format(record)
        assert "ValueError (message withheld)" in text
        assert NAME not in text and PHONE not in text
    assert json.loads(JsonFormatter().format(record))["message"] == "push failed"


def test_a_log_call_with_no_exception_being_handled_still_formats() -> None:
    # logging.exception() outside an except block hands the formatter (None, None, None)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "nothing raised", None,
                               (None, None, None))
    for formatter in (JsonFormatter(), TextFormatter()):
        assert "nothing raised" in formatter.format(record)
    assert TextFormatter().format(record).endswith("NoneType: None")
