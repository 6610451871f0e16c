"""The HTTP gateway adapter against a small aggregator API served on 127.0.0.1, and the SMS
worker's settings."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cati_app.server.services.sms.gateways import GatewayError, HttpAccount, HttpGateway
from cati_app.server.services.sms.settings import SmsSettings


class Aggregator(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.status, self.reply = 200, {"message_id": "agg-1"}


class _Handler(BaseHTTPRequestHandler):
    server: Aggregator

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((self.headers["Authorization"], body))
        payload = json.dumps(self.server.reply).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def aggregator() -> Iterator[Aggregator]:
    server = Aggregator()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def gateway(aggregator: Aggregator) -> HttpGateway:
    host, port = aggregator.server_address[:2]
    return HttpGateway(HttpAccount(url=f"http://{host!s}:{port}/send", token="tok",
                                   sender="RCSC", timeout=2))


def test_a_message_is_posted_with_the_token_and_its_id_returned(aggregator: Aggregator) -> None:
    assert gateway(aggregator).submit("+97517123456", "Please rate") == "agg-1"
    assert aggregator.received == [("Bearer tok", {"to": "+97517123456", "from": "RCSC",
                                                   "text": "Please rate"})]


@pytest.mark.parametrize(("status", "permanent"), [(400, True), (422, True), (429, False),
                                                   (500, False), (503, False)])
def test_refusals_are_permanent_only_for_client_errors(aggregator: Aggregator, status: int,
                                                       permanent: bool) -> None:
    aggregator.status = status
    with pytest.raises(GatewayError) as refused:
        gateway(aggregator).submit("+97517123456", "x")
    assert refused.value.permanent is permanent


def test_a_reply_without_a_message_id_is_a_passing_failure(aggregator: Aggregator) -> None:
    aggregator.reply = {"ok": True}
    with pytest.raises(GatewayError, match="message_id") as refused:
        gateway(aggregator).submit("+97517123456", "x")
    assert not refused.value.permanent


def test_an_unreachable_gateway_is_a_passing_failure() -> None:
    unreachable = HttpGateway(HttpAccount(url="http://127.0.0.1:9/send", token="t",
                                          sender="RCSC", timeout=1))
    with pytest.raises(GatewayError, match="unreachable") as refused:
        unreachable.submit("+97517123456", "x")
    assert not refused.value.permanent


def test_a_gateway_setting_without_its_account_names_what_is_missing() -> None:
    with pytest.raises(ValueError, match="CATI_SMS_SMPP_HOST, CATI_SMS_SMPP_SYSTEM_ID"):
        SmsSettings(gateway="smpp")
    assert SmsSettings(gateway="none").make_gateway() is None
    assert isinstance(SmsSettings(gateway="http", http_url="http://x/").make_gateway(),
                      HttpGateway)
