"""ApiClient against a tiny real HTTP server on 127.0.0.1 that answers with canned protocol
JSON and with every kind of failure: the error mapping, timeouts and what goes on the wire."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from cati_app.client.api import (
    ApiClient,
    AuthExpired,
    RequestRejected,
    ServerUnavailable,
    Throttled,
    retry_after_seconds,
)
from cati_app.client.backoff import Backoff
from cati_app.core.protocol import (
    CaseRevoked,
    CaseRevokedBody,
    ItemKind,
    ItemStatus,
    PushItem,
    PushRequest,
    QuestionnaireAvailable,
    UnreadableChange,
)
from tests.client.fake_server import Canned, FakeServer

NOW = "2026-06-02T04:00:00Z"
TOKEN = "tok-secret-0123456789"


@pytest.fixture
def api(fake: FakeServer) -> Iterator[ApiClient]:
    client = ApiClient(fake.url, token=TOKEN, timeout=2.0)
    yield client
    client.close()


def hello_body() -> dict[str, Any]:
    return {"server_time": NOW, "api_version": "1", "min_client_version": "0.1.0",
            "max_items_per_batch": 50, "max_batch_bytes": 100_000}


def error_body(detail: str, error: str = "x") -> dict[str, Any]:
    return {"error": error, "detail": detail, "fields": []}


# --- the happy paths: what is sent, what comes back ----------------------------------------

def test_login_sets_the_token_used_by_later_calls(fake: FakeServer) -> None:
    fake.routes["/v1/auth/token"] = Canned(body={
        "access_token": "fresh-token", "token_type": "bearer", "expires_at": NOW,
        "role": "enumerator", "user_id": 3, "username": "karma", "full_name": "Karma",
        "server_time": NOW})
    fake.routes["/v1/sync/hello"] = Canned(body=hello_body())
    client = ApiClient(fake.url, timeout=2.0)

    reply = client.login("karma", "pw", "dev-1")
    hello = client.hello()

    assert reply.user_id == 3 and client.token == "fresh-token"
    assert fake.seen[0].body == {"username": "karma", "password": "pw", "device_id": "dev-1"}
    assert "Authorization" not in fake.seen[0].headers
    assert fake.seen[1].headers["Authorization"] == "Bearer fresh-token"
    assert hello.max_items_per_batch == 50
    assert hello.server_time == datetime(2026, 6, 2, 4, 0, tzinfo=UTC)


def test_claim_sends_the_request_uuid_and_parses_cases(fake: FakeServer, api: ApiClient) -> None:
    request_uuid = str(uuid.uuid4())
    fake.routes["/v1/queue/claim"] = Canned(body={"grant_id": "g-1", "server_time": NOW, "cases": [{
        "case_id": 7, "assignment_version": 2, "service_code": "CID", "questionnaire_id": "set",
        "questionnaire_version": 1, "priority": 50, "respondent_name": "Pema",
        "phones": ["+97517123456"], "date_availed": "2026-05-30"}]})

    grant = api.claim(request_uuid, "dev-1", 30)

    assert fake.seen[0].body == {"request_uuid": request_uuid, "device_id": "dev-1",
                                 "max_cases": 30}
    assert grant.grant_id == "g-1"
    assert [(c.case_id, c.assignment_version) for c in grant.cases] == [(7, 2)]


def test_push_ack_and_pull_round_trip(fake: FakeServer, api: ApiClient) -> None:
    item_uuid = uuid.uuid4()
    fake.routes["/v1/sync/push"] = Canned(body={"server_time": NOW, "results": [
        {"item_uuid": str(item_uuid), "status": "duplicate", "detail": "", "conflict_id": None}]})
    fake.routes["/v1/queue/ack"] = Canned(body={"acknowledged": [7], "server_time": NOW})
    fake.routes["/v1/sync/pull"] = Canned(body={
        "changes": [{"seq": 4, "type": "case_revoked", "case_id": 7, "assignment_version": 2,
                     "body": {"reason": "reassigned"}}],
        "next_cursor": "4", "has_more": False, "server_time": NOW})
    push = PushRequest(device_id="dev-1", batch_uuid=uuid.uuid4(), items=[PushItem(
        item_uuid=item_uuid, kind=ItemKind.case_release, case_id=7, assignment_version=2,
        payload={"reason": "moved away"})])

    pushed = api.push(push)
    acked = api.ack("g-1", [7])
    page = api.pull("3", limit=50)

    assert pushed.results[0].status is ItemStatus.duplicate
    assert fake.seen[0].body["items"][0]["item_uuid"] == str(item_uuid)
    assert fake.seen[1].body == {"grant_id": "g-1", "case_ids": [7]}
    assert fake.seen[2].path == "/v1/sync/pull?cursor=3&limit=50"
    assert acked.acknowledged == [7]
    assert page.changes[0] == CaseRevoked(seq=4, case_id=7, assignment_version=2,
                                          body=CaseRevokedBody(reason="reassigned"))
    assert page.next_cursor == "4"


def test_a_change_whose_body_cannot_be_read_does_not_sink_the_page(
        fake: FakeServer, api: ApiClient) -> None:
    """A known type with a body this app cannot read comes as UnreadableChange (the store logs
    it and reads on); a type it does not know makes the page unreadable, as before."""
    good = {"seq": 5, "type": "questionnaire_available", "body": {"questionnaire_id": "set",
                                                                  "version": 2}}
    broken = {"seq": 4, "type": "case_upsert", "case_id": 7, "assignment_version": 2,
              "body": {"case_id": 7}}
    page = {"next_cursor": "5", "has_more": False, "server_time": NOW}
    fake.routes["/v1/sync/pull"] = Canned(body={**page, "changes": [broken, good]})
    unreadable, announced = api.pull("3").changes
    assert isinstance(unreadable, UnreadableChange)
    assert (unreadable.seq, unreadable.type, unreadable.case_id) == (4, "case_upsert", 7)
    assert unreadable.problems > 0
    assert isinstance(announced, QuestionnaireAvailable) and announced.body.version == 2
    fake.routes["/v1/sync/pull"] = Canned(body={**page, "changes": [
        {**good, "type": "from_a_newer_server"}]})
    with pytest.raises(ServerUnavailable, match="cannot read"):
        api.pull("3")


def test_questionnaire_path_is_escaped(fake: FakeServer, api: ApiClient) -> None:
    fake.routes["/v1/questionnaires/set%2Fx/3"] = Canned(body={"id": "set/x", "version": 3})
    assert api.questionnaire("set/x", 3) == {"id": "set/x", "version": 3}


# --- error mapping -------------------------------------------------------------------------

def test_401_is_auth_expired_with_the_servers_words(fake: FakeServer, api: ApiClient) -> None:
    fake.routes["/v1/sync/hello"] = Canned(401, error_body("this device has been revoked"))
    with pytest.raises(AuthExpired, match="this device has been revoked"):
        api.hello()


def test_no_token_is_auth_expired_without_a_request(fake: FakeServer) -> None:
    with pytest.raises(AuthExpired, match="log in first"):
        ApiClient(fake.url, timeout=2.0).hello()
    assert fake.seen == []


@pytest.mark.parametrize("header, expected", [("7", 7.0), (None, 60.0)])
def test_429_is_throttled_with_retry_after(fake: FakeServer, api: ApiClient,
                                           header: str | None, expected: float) -> None:
    headers = {"Retry-After": header} if header else {}
    fake.routes["/v1/auth/token"] = Canned(429, error_body("too many failed logins"), headers)
    with pytest.raises(Throttled, match="too many failed logins") as caught:
        api.login("karma", "wrong", "dev-1")
    assert caught.value.retry_after == expected


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_server_unavailable(fake: FakeServer, api: ApiClient, status: int) -> None:
    fake.routes["/v1/sync/pull"] = Canned(status, error_body("the database is busy"),
                                          {"Retry-After": "2"})
    with pytest.raises(ServerUnavailable, match=f"HTTP {status}.*work is kept") as caught:
        api.pull("")
    assert caught.value.retry_after == 2.0


def test_other_4xx_is_rejected_with_detail_and_fields(fake: FakeServer, api: ApiClient) -> None:
    fields = [{"loc": ["body", "max_cases"], "msg": "too big"}]
    fake.routes["/v1/queue/claim"] = Canned(422, {"error": "invalid",
                                                  "detail": "max_cases: too big",
                                                  "fields": fields})
    with pytest.raises(RequestRejected, match="max_cases: too big") as caught:
        api.claim(str(uuid.uuid4()), "dev-1", 5)
    rejected = caught.value
    assert (rejected.status, rejected.error, rejected.fields) == (422, "invalid", fields)


def test_4xx_without_our_body_still_has_a_message(fake: FakeServer, api: ApiClient) -> None:
    fake.routes["/v1/queue/ack"] = Canned(413, b"<html>too large</html>")
    with pytest.raises(RequestRejected, match=r"refused the request \(HTTP 413\)"):
        api.ack("g", [1])


def test_a_reply_that_is_not_ours_is_server_unavailable(fake: FakeServer, api: ApiClient) -> None:
    fake.routes["/v1/sync/hello"] = Canned(200, b"<html>captive portal login</html>")
    with pytest.raises(ServerUnavailable, match="cannot read"):
        api.hello()


def test_connection_reset_is_server_unavailable(fake: FakeServer, api: ApiClient) -> None:
    fake.routes["/v1/sync/push"] = Canned(action="reset")
    request = PushRequest(device_id="d", batch_uuid=uuid.uuid4(), items=[])
    with pytest.raises(ServerUnavailable, match="cannot reach"):
        api.push(request)


def test_connection_refused_is_server_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the client connects
    client = ApiClient(f"http://127.0.0.1:{port}", token=TOKEN, timeout=2.0)
    with pytest.raises(ServerUnavailable, match="check the internet connection"):
        client.hello()


def test_a_slow_server_times_out_at_the_read_timeout(fake: FakeServer) -> None:
    fake.routes["/v1/sync/hello"] = Canned(body=hello_body(), action="sleep", delay=3.0)
    client = ApiClient(fake.url, token=TOKEN, timeout=0.4)
    started = time.monotonic()
    with pytest.raises(ServerUnavailable, match="did not answer in time"):
        client.hello()
    assert time.monotonic() - started < 2.0  # not retried, not waiting for the reply


def test_timeouts_are_explicit_and_connect_is_capped() -> None:
    assert ApiClient("http://x", timeout=30.0).timeouts == (5.0, 30.0)
    assert ApiClient("http://x", timeout=2.0).timeouts == (2.0, 2.0)


def test_tokens_and_names_never_reach_the_log_or_the_message(
        fake: FakeServer, api: ApiClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake.routes["/v1/queue/claim"] = Canned(body={"grant_id": "g", "server_time": NOW, "cases": [{
        "case_id": 1, "assignment_version": 1, "service_code": "CID", "questionnaire_id": "set",
        "questionnaire_version": 1, "priority": 50, "respondent_name": "Dorji Wangmo",
        "phones": ["+97517999888"]}]})
    fake.routes["/v1/sync/hello"] = Canned(500, error_body("boom"))
    api.claim(str(uuid.uuid4()), "dev-1", 1)
    with pytest.raises(ServerUnavailable) as caught:
        api.hello()
    for text in (caplog.text, str(caught.value)):
        assert TOKEN not in text and "Dorji" not in text and "97517999888" not in text
    assert "1 cases" in caplog.text


# --- Retry-After parsing and backoff --------------------------------------------------------

def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 6, 2, 4, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True),
                               now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def sequence(*values: float) -> Callable[[], float]:
    draws = iter(values)
    return lambda: next(draws)


def test_backoff_doubles_with_full_jitter_up_to_the_cap() -> None:
    backoff = Backoff(base=5, cap=60, random=sequence(1.0, 1.0, 0.5, 1.0, 1.0, 0.0))
    delays = [backoff.next_delay() for _ in range(6)]
    assert delays == [5, 10, 10, 40, 60, 0]


def test_backoff_honours_retry_after_and_resets() -> None:
    backoff = Backoff(base=5, cap=60, random=sequence(0.1, 0.1, 1.0))
    assert backoff.next_delay(retry_after=30) == 30
    assert backoff.next_delay() == pytest.approx(1.0)  # 0.1 × 10: the second failure
    backoff.reset()
    assert backoff.next_delay() == 5


def test_backoff_survives_very_many_failures() -> None:
    backoff = Backoff(base=5, cap=300, random=lambda: 1.0, failures=5000)
    assert backoff.next_delay() == 300


def test_backoff_refuses_a_nonsense_configuration() -> None:
    with pytest.raises(ValueError, match="base <= cap"):
        Backoff(base=10, cap=1)
