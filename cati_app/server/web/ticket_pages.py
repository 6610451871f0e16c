"""The complaint tickets' web pages (issue 16, "the agency moves it open → acknowledged →
resolved with a note, on the web view"): the list (filters: state, service, office), one
ticket with its masked text, category and history, and the form that moves it along.

The same rules as the API (``api/tickets.py``), from the same services: ``scorecard_scope``
decides whose tickets a user sees (an agency account its own agency's only; another agency's
ticket is "not found"), ``tickets.HANDLERS`` who may move them (analysts read only), and
``tickets.change_state`` moves one (audited; resolving a ticket whose respondent agreed queues
the call-back). Every POST carries the session's CSRF token, like the sign-out form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cati_app.core import complaints as rules
from cati_app.core.clock import to_thimphu
from cati_app.core.protocol_scorecard import TicketChange, TicketState
from cati_app.server.context import AppContext
from cati_app.server.deps import Ctx
from cati_app.server.errors import CatiError, Forbidden, NotFound
from cati_app.server.services.accounts.identity import CurrentUser
from cati_app.server.services.complaints import history, tickets
from cati_app.server.services.complaints.tickets import Actor, TicketFilter
from cati_app.server.services.reporting import scorecard_scope
from cati_app.server.web import i18n
from cati_app.server.web import routes as pages
from cati_app.server.web import web_session as ws

router = APIRouter(prefix="/scorecard", include_in_schema=False)
PAGE_SIZE = 25
STATES: list[tuple[str, str]] = [("open", "Open"), ("acknowledged", "Acknowledged"),
                                 ("resolved", "Resolved")]
READ_ONLY = "Analysts read tickets; agency accounts, supervisors and admins move them along."
TicketId = Annotated[int, Path(ge=1, le=2**62)]


@dataclass(frozen=True)
class Visitor:
    user: CurrentUser
    token: str
    language: str


def _visitor(request: Request, ctx: AppContext, lang: str | None = None) -> Visitor | None:
    token = ws.session_token(request)
    user = pages.signed_in(ctx, token)
    if user is None or token is None:
        return None
    return Visitor(user, token, pages.language_of(request, lang))


def _away(ctx: AppContext) -> Response:
    away = pages.to_login()
    ws.clear_cookie(away, ctx.settings, ws.SESSION_COOKIE)
    return away


def _render(request: Request, v: Visitor, name: str, status: int = 200, keep: str = "",
            **context: Any) -> HTMLResponse:
    return pages.page(request, name, v.language, status, csrf=ws.csrf_for(v.token),
                      user=v.user, current="tickets", states=STATES, keep=keep,
                      categories=rules.CATEGORY_LABELS, read_only=READ_ONLY,
                      may_change=v.user.role in tickets.HANDLERS, thimphu=to_thimphu,
                      **context)


def _refused(request: Request, v: Visitor, error: CatiError) -> HTMLResponse:
    return _render(request, v, "ticket_error.html", error.status_code, message=error.detail)


# --- the list -----------------------------------------------------------------------------


@router.get("/tickets", response_class=HTMLResponse)
async def ticket_list(
    request: Request, ctx: Ctx,
    state: Annotated[TicketState | None, Query()] = None,
    service: Annotated[str, Query(max_length=32)] = "",
    office: Annotated[str, Query(max_length=200)] = "",
    agency: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
    lang: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    v = await run_in_threadpool(_visitor, request, ctx, lang)
    if v is None:
        return _away(ctx)
    wanted = TicketFilter(service=service or None, office=office or None, state=state)
    try:
        data = await run_in_threadpool(_list_data, ctx, v.user, wanted, agency, offset)
    except CatiError as error:
        return _refused(request, v, error)
    filters = {"state": state or "", "service": service, "office": office, "agency": agency}
    response = _render(request, v, "tickets.html", filters=filters,
                       keep=urlencode(filters) + "&", **data)
    if lang is not None:
        ws.set_cookie(response, ctx.settings, ws.LANGUAGE_COOKIE, v.language)
    return response


def _list_data(ctx: AppContext, user: CurrentUser, wanted: TicketFilter, agency: str,
               offset: int) -> dict[str, Any]:
    with ctx.read() as session:
        staff = user.role != "agency"
        scope = scorecard_scope.allowed_agency(session, user,
                                               (agency or None) if staff else None)
        found = tickets.read_page(session, wanted, agency=scope, limit=PAGE_SIZE, offset=offset)
        return {"found": found, "scope": scope, "page_size": PAGE_SIZE,
                "service_choices": scorecard_scope.services_of(session, scope),
                "office_choices": tickets.offices(session, agency=scope),
                "agency_choices": scorecard_scope.agencies(session) if staff else []}


# --- one ticket ---------------------------------------------------------------------------


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket_page(request: Request, ctx: Ctx, ticket_id: TicketId,
                      lang: Annotated[str | None, Query(max_length=8)] = None,
                      done: Annotated[TicketState | None, Query()] = None) -> Response:
    v = await run_in_threadpool(_visitor, request, ctx, lang)
    if v is None:
        return _away(ctx)
    try:
        data = await run_in_threadpool(_ticket_data, ctx, v.user, ticket_id)
    except CatiError as error:
        return _refused(request, v, error)
    return _render(request, v, "ticket.html", done=done, **data)


def _ticket_data(ctx: AppContext, user: CurrentUser, ticket_id: int) -> dict[str, Any]:
    with ctx.read() as session:
        scope = scorecard_scope.allowed_agency(session, user, None)
        ticket = tickets.read_one(session, ticket_id, agency=scope)
        return {"ticket": ticket, "steps": history.history(session, ticket_id),
                "next_states": rules.next_states(ticket.state)}


@router.post("/tickets/{ticket_id}/state", response_class=HTMLResponse)
async def move_ticket(request: Request, ctx: Ctx, ticket_id: TicketId,
                      state: Annotated[TicketState, Form()],
                      note: Annotated[str, Form(max_length=rules.MAX_NOTE)] = "",
                      csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    v = await run_in_threadpool(_visitor, request, ctx)
    if v is None:
        return _away(ctx)
    t = i18n.translator(v.language)
    if not ws.csrf_ok(ws.csrf_for(v.token), csrf):
        return _refused(request, v, Forbidden(t(
            "The form had expired: go back, reload the ticket and try again.")))
    if v.user.role not in tickets.HANDLERS:
        return _refused(request, v, Forbidden(t(READ_ONLY)))
    try:
        await run_in_threadpool(_move, ctx, v.user, ticket_id, TicketChange(state=state,
                                                                             note=note))
    except CatiError as error:
        if isinstance(error, NotFound):
            return _refused(request, v, error)
        data = await run_in_threadpool(_ticket_data, ctx, v.user, ticket_id)
        return _render(request, v, "ticket.html", error.status_code, message=error.detail,
                       note=note, **data)
    return RedirectResponse(f"/scorecard/tickets/{ticket_id}?done={state}", status_code=303)


def _move(ctx: AppContext, user: CurrentUser, ticket_id: int, change: TicketChange) -> None:
    with ctx.transaction() as session:
        tickets.change_state(session, ticket_id, change,
                             agency=scorecard_scope.allowed_agency(session, user, None),
                             at=ctx.clock.now(), actor=Actor(user.id, user.device_id))
