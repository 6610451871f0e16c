"""GET and PUT /v1/admin/calling-rules: the calling rules every desktop plans with."""

from __future__ import annotations

from fastapi import APIRouter

from cati_app.core.protocol import CallingRulesDoc, CallingRulesUpdate
from cati_app.server.deps import Admin, Ctx
from cati_app.server.errors import error_responses
from cati_app.server.services.cases.supervision import Actor
from cati_app.server.services.catalogue import calling_rules

router = APIRouter(prefix="/v1/admin", tags=["admin"],
                   responses=error_responses(401, 403, 422))


@router.get("/calling-rules", response_model=CallingRulesDoc)
def get_rules(ctx: Ctx, _user: Admin) -> CallingRulesDoc:
    with ctx.transaction():  # brings this process up to date with another's change
        return calling_rules.current(ctx)


@router.put("/calling-rules", response_model=CallingRulesDoc)
def put_rules(body: CallingRulesUpdate, ctx: Ctx, user: Admin) -> CallingRulesDoc:
    """Replace the rules (windows, holidays, retry delays, attempt cap...). The server plans
    with them at once; desktops receive them at their next sync."""
    actor = Actor(user_id=user.id, device_id=user.device_id, at=ctx.clock.now())
    with ctx.transaction() as session:
        doc = calling_rules.replace(session, actor, body.rules)
    ctx.use_rules(doc.version, doc.to_rules())  # committed: this process uses them now
    return doc
