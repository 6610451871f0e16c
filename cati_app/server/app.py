"""The FastAPI application: routers, error mapping and the body-size guard."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cati_app import __version__
from cati_app.core.clock import Clock
from cati_app.core.protocol import ErrorBody
from cati_app.server.api import (
    admin,
    audit,
    auth,
    calling_rules,
    cases,
    do_not_call,
    exports,
    health,
    holds,
    questionnaires,
    queue,
    reports,
    samples,
    sampling,
    scorecard,
    sync,
    tickets,
)
from cati_app.server.context import AppContext
from cati_app.server.errors import CatiError, error_responses
from cati_app.server.request_log import RequestLog
from cati_app.server.settings import Settings
from cati_app.server.strict_json import StrictJson
from cati_app.server.web.mount import mount_scorecard_pages

log = logging.getLogger(__name__)


def create_app(settings: Settings, clock: Clock | None = None,
               ctx: AppContext | None = None) -> FastAPI:
    ctx = ctx or AppContext.build(settings, clock)
    app = FastAPI(title="ServE CATI sync server", version=__version__,
                  description="Sync, queue, supervision and reporting API. See docs/api.md.",
                  responses=error_responses(413, 503))
    app.state.ctx = ctx
    for module in (auth, queue, sync, cases, reports, exports, admin, samples, health,
                   questionnaires, holds, calling_rules, audit, scorecard, do_not_call,
                   tickets, sampling):
        app.include_router(module.router)
    mount_scorecard_pages(app)
    _install_error_handlers(app)
    app.add_middleware(StrictJson)  # inside the size guard: it reads whole (bounded) bodies
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # Outermost, so every answer (a 413 too) carries a request id and gets its log line.
    app.add_middleware(RequestLog)
    return app


def _error(status: int, error: str, detail: str, headers: dict[str, str] | None = None,
           fields: list[dict[str, Any]] | None = None) -> JSONResponse:
    body = ErrorBody(error=error, detail=detail, fields=fields or [])
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CatiError)
    async def _domain(_request: Request, exc: CatiError) -> JSONResponse:
        return _error(exc.status_code, exc.error, exc.detail, exc.headers, exc.fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Unknown paths and wrong methods answer in the same shape as every other error.
        names = {404: "not_found", 405: "method_not_allowed"}
        return _error(exc.status_code, names.get(exc.status_code, "http_error"), str(exc.detail),
                      headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [([str(p) for p in e.get("loc", ())], str(e.get("msg", "")))
                    for e in exc.errors()]
        loc, msg = problems[0] if problems else ([], "invalid request")
        detail = f"{'.'.join(loc)}: {msg}" if loc else msg
        return _error(422, "invalid", detail,
                      fields=[{"loc": where, "msg": text} for where, text in problems])

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(_request: Request, exc: Exception) -> JSONResponse:
        # A number no database column can hold (SQLite raises OverflowError past 64 bits,
        # PostgreSQL DataError past the column's type): bad input, not a server fault.
        log.info("value out of range: %s", type(getattr(exc, "orig", exc)).__name__)
        return _error(422, "invalid", "a number in the request is out of range")

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, exc: OperationalError) -> JSONResponse:
        # Deadlock victims, lock timeouts, a database restarting: nothing was committed, so the
        # client may safely retry the same request (it is idempotent by design).
        # The type only: a database's message can quote row values (personal data).
        log.warning("database busy: %s", type(exc.orig).__name__)
        return _error(503, "retry_later", "the database is busy: retry shortly",
                      headers={"Retry-After": "2"})


class BodySizeLimit:
    """Refuse oversize bodies early: by Content-Length before reading, else while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(receive, send)
            return
        seen, too_large, refused = 0, False, False

        async def counting_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                too_large = True
                raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # FastAPI's body parser turns any exception while reading into its own 400 ("error
            # parsing the body"); once over the limit, that reply is replaced by the 413.
            nonlocal refused
            if not too_large:
                await send(message)
            elif message["type"] == "http.response.start" and not refused:
                refused = True
                await self._refuse(receive, send)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            if not refused:
                await self._refuse(receive, send)

    async def _refuse(self, receive: Receive, send: Send) -> None:
        response = _error(413, "payload_too_large",
                           f"the request body is over {self.max_bytes} bytes: send smaller batches")
        await response({"type": "http"}, receive, send)


class _TooLarge(Exception):
    pass


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory cati_app.server.app:app_from_env`` (the workers of
    ``cati-server serve --workers N``, or bare uvicorn): logs as ``cati-server serve`` does."""
    from cati_app.server.logging_setup import ensure_logging
    from cati_app.server.settings import load_settings

    ensure_logging()
    return create_app(load_settings())
