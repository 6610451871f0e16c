"""FastAPI dependencies: the context, the current user and role checks.

Why endpoints open their own transaction (``with ctx.transaction() as session``) instead of
receiving a session from a dependency: FastAPI runs every sync dependency and the endpoint in
separate thread-pool hops, so a session opened in a dependency keeps its pooled connection while
the request waits for a thread for the next hop. Under load every thread then waits for a
connection held by a request that waits for a thread, until the pool times out (seen with 50
concurrent claims). A transaction that opens, works and commits within one hop cannot deadlock,
and it commits before the reply is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cati_app.core.protocol import Role
from cati_app.server.context import AppContext
from cati_app.server.errors import Forbidden, Unauthorized
from cati_app.server.logging_setup import note_user
from cati_app.server.services.accounts.identity import CurrentUser, authenticate, token_hash
from cati_app.server.services.complaints import tickets

# The dependencies below are ``async def`` although they do no I/O of their own: FastAPI runs
# each plain ``def`` dependency in its own thread-pool hop, and three hops per request (context,
# token, role) cost more than the checks themselves on a busy host. Only a token the worker
# has not checked lately goes to the database, in the thread pool.


async def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx  # Starlette's State holds untyped attributes
    return ctx


Ctx = Annotated[AppContext, Depends(get_context)]
_bearer = HTTPBearer(auto_error=False)


async def current_user(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CurrentUser:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("log in first: this request carries no bearer token")
    token_text, now = credentials.credentials, ctx.clock.now()
    assert ctx.token_cache is not None
    user = ctx.token_cache.get(token_hash(token_text), now)  # no session for most requests
    if user is None:
        user = await run_in_threadpool(_checked, ctx, token_text, now)
    note_user(user.id)  # for the request's log line
    return user


def _checked(ctx: AppContext, token_text: str, now: datetime) -> CurrentUser:
    with ctx.read() as session:  # a read: a long push never holds up every token check
        return authenticate(session, token_text, now, ctx.token_cache)


AnyUser = Annotated[CurrentUser, Depends(current_user)]


def require(*roles: Role) -> Any:
    """A dependency marker for ``Annotated[CurrentUser, ...]``: FastAPI types ``Depends()`` as
    ``Any`` (the marker is metadata, never a value the endpoint sees)."""
    allowed = frozenset(roles)

    async def check(user: AnyUser) -> CurrentUser:
        if user.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Forbidden(f"this needs one of the roles: {names}")
        return user

    return Depends(check)


Enumerator = Annotated[CurrentUser, require(Role.enumerator)]


def same_device(user: CurrentUser, device_id: str) -> None:
    """A token is bound to the device it was issued to: it cannot write as another."""
    if device_id != user.device_id:
        raise Forbidden(f"this login belongs to device {user.device_id!r}, not {device_id!r}: "
                        "log in again on this device")
Supervisor = Annotated[CurrentUser, require(Role.supervisor, Role.admin)]
Analyst = Annotated[CurrentUser, require(Role.analyst, Role.supervisor, Role.admin)]
Admin = Annotated[CurrentUser, require(Role.admin)]
#: everyone who works the fieldwork: every role but the read-only agency accounts
Staff = Annotated[CurrentUser, require(Role.enumerator, Role.supervisor, Role.analyst,
                                       Role.admin)]
#: who may read scorecards: an agency (its own agency only) and the analysts' roles
ScorecardReader = Annotated[CurrentUser, require(Role.agency, Role.analyst, Role.supervisor,
                                                 Role.admin)]
#: complaint tickets (issue 16) are moved along by the agency they concern and by RCSC's
#: supervisors and admins; analysts read them
TicketHandler = Annotated[CurrentUser, require(*sorted(tickets.HANDLERS))]

