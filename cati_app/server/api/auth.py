"""POST /v1/auth/token and GET /v1/sync/hello."""

from __future__ import annotations

from fastapi import APIRouter, Request

from cati_app.core.protocol import MAX_BATCH_BYTES, Hello, Role, TokenRequest, TokenResponse
from cati_app.server.deps import AnyUser, Ctx
from cati_app.server.errors import CatiError, error_responses
from cati_app.server.services.accounts import users
from cati_app.server.services.catalogue import calling_rules

router = APIRouter(prefix="/v1", tags=["auth"], responses=error_responses(401, 422, 429))


@router.post("/auth/token", response_model=TokenResponse,
             responses={401: {}, 429: {"description": "too many failed logins; see Retry-After"},
                        **error_responses(403)})
def issue_token(body: TokenRequest, request: Request, ctx: Ctx) -> TokenResponse:
    address = request.client.host if request.client else "unknown"
    # Owns its transactions. First the attempt is recorded and committed, so concurrent
    # guesses (other workers) count it before anything is checked; then the check, whose
    # refusal is committed too (a wrong password stays counted), then raised.
    with ctx.sessions.begin() as session:
        attempt = users.reserve_attempt(ctx, session, username=body.username, address=address)
    with ctx.sessions.begin() as session:
        issued = users.login(ctx, session, username=body.username, password=body.password,
                             device_id=body.device_id, address=address, attempt_id=attempt)
    if isinstance(issued, CatiError):
        raise issued
    user = issued.user
    return TokenResponse(access_token=issued.token, expires_at=issued.expires_at,
                         role=Role(user.role), user_id=user.id, username=user.username,
                         full_name=user.full_name, server_time=ctx.clock.now())


@router.get("/sync/hello", response_model=Hello)
def hello(ctx: Ctx, _user: AnyUser) -> Hello:
    # A batch must fit the body limit with room for the JSON around the items.
    batch_bytes = min(MAX_BATCH_BYTES, ctx.settings.max_body_bytes * 3 // 4)
    with ctx.sessions() as session:
        ctx.refresh_rules(session)  # an admin's change made in another server process
    return Hello(server_time=ctx.clock.now(), max_batch_bytes=batch_bytes,
                 min_client_version=ctx.settings.min_client_version,
                 calling_rules=calling_rules.current(ctx))
