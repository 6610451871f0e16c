"""The web scorecard's routes (``/scorecard/``): sign in, the scorecard, sign out (the
complaint tickets' pages are in ``ticket_pages``).

Thin, like the API's endpoints: the accounts service signs in and out, the reporting service
builds the scorecard (``services.reporting.scorecard``) and decides which agency a user may
see (``scorecard_scope``); this module reads forms and cookies and renders templates. The
pages are left out of the OpenAPI document: they are not part of the API contract.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from cati_app.core.protocol_scorecard import PeriodKind
from cati_app.server.context import AppContext
from cati_app.server.deps import Ctx
from cati_app.server.errors import CatiError, Unauthorized
from cati_app.server.services.accounts import users
from cati_app.server.services.accounts.identity import CurrentUser, authenticate
from cati_app.server.services.complaints import summaries
from cati_app.server.services.reporting import scorecard, scorecard_scope
from cati_app.server.web import i18n, view
from cati_app.server.web import web_session as ws

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/scorecard", include_in_schema=False)
#: the pages' navigation (key, English label, address); complaint tickets add theirs here
NAV: list[tuple[str, str, str]] = [("scorecard", "Scorecard", "/scorecard/"),
                                   ("tickets", "Complaints", "/scorecard/tickets")]
PERIOD_KINDS: list[tuple[str, str]] = [("month", "Month"), ("quarter", "Quarter"),
                                       ("fiscal_year", "Fiscal year (July–June)")]
NO_SCORECARD = "this account has no scorecard: enumerators use the desktop app"


def language_of(request: Request, asked: str | None = None) -> str:
    return i18n.language_or_default(asked or request.cookies.get(ws.LANGUAGE_COOKIE))


def page(request: Request, name: str, language: str, status: int = 200,
          **context: Any) -> HTMLResponse:
    ctx: AppContext = request.app.state.ctx
    response = templates.TemplateResponse(request, name, status_code=status, context={
        "t": i18n.translator(language), "lang": language, "languages": i18n.LANGUAGES,
        "nav": NAV, "refresh": ctx.settings.scorecard_refresh_seconds, **context})
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def signed_in(ctx: AppContext, token: str | None) -> CurrentUser | None:
    if not token:
        return None
    try:
        with ctx.read() as session:
            return authenticate(session, token, ctx.clock.now(), ctx.token_cache)
    except Unauthorized:
        return None


def to_login() -> RedirectResponse:
    return RedirectResponse("/scorecard/login", status_code=303)


# --- signing in and out -------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, ctx: Ctx, lang: str | None = None) -> Response:
    return _login_page(request, ctx, language_of(request, lang))


def _login_page(request: Request, ctx: AppContext, language: str, message: str = "",
                status: int = 200, username: str = "") -> HTMLResponse:
    csrf = ws.new_login_csrf()
    response = page(request, "login.html", language, status, csrf=csrf, message=message,
                     username=username)
    ws.set_cookie(response, ctx.settings, ws.LOGIN_CSRF_COOKIE, csrf, max_age=3600)
    if language != i18n.DEFAULT or ws.LANGUAGE_COOKIE in request.cookies:
        ws.set_cookie(response, ctx.settings, ws.LANGUAGE_COOKIE, language)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, ctx: Ctx, username: Annotated[str, Form(max_length=64)] = "",
          password: Annotated[str, Form(max_length=256)] = "",
          csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    language = language_of(request)
    t = i18n.translator(language)
    if not ws.csrf_ok(request.cookies.get(ws.LOGIN_CSRF_COOKIE), csrf):
        return _login_page(request, ctx, language, t(
            "The form had expired: sign in again."), 403, username)
    if not username or not password:
        return _login_page(request, ctx, language, t("Enter your username and password."),
                           422, username)
    address = request.client.host if request.client else "unknown"
    with ctx.sessions.begin() as session:  # committed first: the throttle counts it at once
        attempt = users.reserve_attempt(ctx, session, username=username, address=address)
    with ctx.sessions.begin() as session:
        issued = users.login(ctx, session, username=username, password=password,
                             device_id=ws.WEB_DEVICE, address=address, attempt_id=attempt)
        if not isinstance(issued, CatiError) and issued.user.role not in {
                r.value for r in scorecard_scope.READERS}:
            users.logout(session, issued.token, at=ctx.clock.now())
            issued = Unauthorized(NO_SCORECARD)
    if isinstance(issued, CatiError):
        return _login_page(request, ctx, language, _login_refusal(t, issued),
                           issued.status_code, username)
    response = RedirectResponse("/scorecard/", status_code=303)
    ws.set_cookie(response, ctx.settings, ws.SESSION_COOKIE, issued.token,
                  max_age=int(ctx.settings.token_ttl.total_seconds()))
    ws.clear_cookie(response, ctx.settings, ws.LOGIN_CSRF_COOKIE)
    return response


def _login_refusal(t: Callable[[str], str], error: CatiError) -> str:
    if error.status_code == 429:
        return t("Too many failed sign-ins: wait a few minutes, then try again.")
    if error.detail == users.WRONG_LOGIN:
        return t("Wrong username or password.")
    if error.detail == NO_SCORECARD:
        return t("This account has no scorecard: use the desktop app.")
    return str(error.detail)


@router.post("/logout")
def logout(request: Request, ctx: Ctx, csrf: Annotated[str, Form(max_length=100)] = ""
           ) -> Response:
    token = ws.session_token(request)
    if token is None:
        return to_login()
    if not ws.csrf_ok(ws.csrf_for(token), csrf):
        return HTMLResponse("The form had expired: go back, reload the page and sign out "
                            "again.", status_code=403)
    with ctx.transaction() as session:
        users.logout(session, token, at=ctx.clock.now())
    response = to_login()
    ws.clear_cookie(response, ctx.settings, ws.SESSION_COOKIE)
    return response


# --- the scorecard ------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def scorecardpage(
    request: Request, ctx: Ctx,
    period_kind: PeriodKind = "quarter",
    service: Annotated[str, Query(max_length=32)] = "",
    agency: Annotated[str, Query(max_length=200)] = "",
    lang: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    token = ws.session_token(request)
    user = await run_in_threadpool(signed_in, ctx, token)
    if user is None or token is None:
        away = to_login()
        ws.clear_cookie(away, ctx.settings, ws.SESSION_COOKIE)
        return away
    language = language_of(request, lang)
    data = await run_in_threadpool(_scorecard_data, ctx, user, period_kind, service, agency)
    response = page(request, "scorecard.html", language, csrf=ws.csrf_for(token),
                     user=user, period_kinds=PERIOD_KINDS,
                     filters={"period_kind": period_kind, "service": service,
                              "agency": agency, "lang": language},
                     keep=urlencode({"period_kind": period_kind, "service": service,
                                     "agency": agency}) + "&", **data)
    if lang is not None:
        ws.set_cookie(response, ctx.settings, ws.LANGUAGE_COOKIE, language)
    return response


def _scorecard_data(ctx: AppContext, user: CurrentUser, period_kind: PeriodKind,
                    service: str, agency: str) -> dict[str, Any]:
    with ctx.read() as session:
        scope = scorecard_scope.allowed_agency(session, user, None if user.role == "agency"
                                               else agency or None)
        card = scorecard.build_scorecard(session, ctx.settings, now=ctx.clock.now(),
                                         period_kind=period_kind, agency=scope,
                                         service_code=service or None,
                                         complaints=summaries.reader(session, scope))
        return {"card": card, "services": view.arrange(card), "scope": scope,
                "service_choices": scorecard_scope.services_of(session, scope),
                "agency_choices": ([] if user.role == "agency"
                                   else scorecard_scope.agencies(session))}
