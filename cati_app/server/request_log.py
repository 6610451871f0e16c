"""Request ids and the access log line (pure ASGI middleware, outermost in the app).

The id comes from the reverse proxy's ``X-Request-ID`` when it looks like an id (so one id
follows a request through nginx and the server logs), otherwise a new one is made. It is echoed
in the response header, so a person reporting a problem can quote it.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cati_app.server.logging_setup import RequestInfo, current_request

access_log = logging.getLogger("cati_app.server.access")
fault_log = logging.getLogger("cati_app.server.fault")
HEADER = b"x-request-id"
#: what a proxy's id looks like (nginx's $request_id is 32 hex digits; UUIDs fit too); anything
#: else — long, odd characters, something that could be a name or a token — is replaced
SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name.lower() == HEADER:
            text = value.decode("latin-1")
            if SANE_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        info = RequestInfo(request_id=request_id_from(scope.get("headers") or []))
        token = current_request.set(info)
        started = time.perf_counter()
        status = 500  # what the client sees if the app raises before answering
        started_answer = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_answer
            if message["type"] == "http.response.start":
                status, started_answer = message["status"], True
                headers = [h for h in message.get("headers", []) if h[0].lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, info.request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # a fault no handler foresaw: still JSON, still with its id
            _log_fault(exc, info)
            if status != 500 or started_answer:
                raise
            await _internal_error(info, send_with_id)
        finally:
            _log_access(scope, info, status, time.perf_counter() - started)
            current_request.reset(token)


def _log_fault(exc: BaseException, info: RequestInfo) -> None:
    # The type and where it happened, never the message: an exception's text can quote a
    # row or a request's values (names, phone numbers).
    where = "".join(traceback.format_tb(exc.__traceback__))
    fault_log.error("unhandled %s (request %s)\n%s", type(exc).__name__, info.request_id,
                    where, extra={"request_id": info.request_id})


async def _internal_error(info: RequestInfo, send: Send) -> None:
    body = json.dumps({"error": "internal_error", "fields": [],
                       "detail": "the server failed: nothing was saved by this request; "
                                 f"quote request id {info.request_id} when reporting it"})
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body.encode()})


def _log_access(scope: Scope, info: RequestInfo, status: int, seconds: float) -> None:
    # scope["path"] never includes the query string (a supervisor's name search lives there).
    method, path = scope["method"], scope["path"]
    # A 503 is the database asking clients to retry; a 500 is a fault someone must look at.
    level = logging.ERROR if status == 500 else logging.WARNING if status > 500 else logging.INFO
    access_log.log(level, "%s %s %s", method, path, status, extra={
        "request_id": info.request_id, "method": method, "path": path, "status": status,
        "duration_ms": round(seconds * 1000, 1), "user_id": info.user_id})
