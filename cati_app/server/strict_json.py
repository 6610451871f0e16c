"""Refuse NaN and Infinity in JSON bodies (pure ASGI middleware, inside the body-size guard).

Python's ``json`` (and so FastAPI's body parsing) accepts the literals ``NaN``, ``Infinity``
and ``-Infinity``, which are not JSON: a float field would take them, and an interview's
answers would carry them into the database, where PostgreSQL refuses them and every reader of
the data must cope. They are refused here, for every route, with a clear 422 before any work.

The check is cheap: only a body that contains one of the words at all is parsed strictly (a
note that says "Infinity" is text, and passes).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cati_app.core.protocol import ErrorBody

_WORDS = (b"NaN", b"Infinity")
#: form uploads (sample and questionnaire files) stream through untouched
_NOT_JSON = (b"multipart/", b"application/x-www-form-urlencoded")
DETAIL = ("NaN and Infinity are not JSON numbers: send a finite number, or null for no "
          "value")


class _NonFinite(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NonFinite(name)


def has_non_finite(body: bytes) -> bool:
    """Does this JSON body use NaN or Infinity as a value (not inside a text)?"""
    if not any(word in body for word in _WORDS):
        return False
    try:
        json.loads(body, parse_constant=_refuse_constant)
    except _NonFinite:
        return True
    except ValueError:  # not JSON at all: the route's own parsing says so
        return False
    return False


class StrictJson:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or ()) if scope["type"] == "http" else {}
        if scope["type"] != "http" or headers.get(b"content-type", b"").startswith(_NOT_JSON):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if has_non_finite(body):
            response = JSONResponse(ErrorBody(error="invalid", detail=DETAIL).model_dump(),
                                    status_code=422)
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
