"""``GET /v1/audit``: the audit trail, read by supervisors and admins."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from cati_app.core.protocol_admin import MAX_AUDIT_PAGE, AuditEntryOut, AuditPage
from cati_app.server.deps import Ctx, Supervisor
from cati_app.server.errors import error_responses
from cati_app.server.services.ops.audit_trail import AuditFilter, AuditLine, read_page

router = APIRouter(prefix="/v1", tags=["supervision"], responses=error_responses(401, 403, 422))


@router.get("/audit", response_model=AuditPage)
def audit_trail(
    ctx: Ctx, _user: Supervisor,
    case_id: Annotated[int | None, Query(ge=1, description="entries about this case")] = None,
    user: Annotated[str | None, Query(max_length=64, description="who did it")] = None,
    action: Annotated[str | None, Query(
        max_length=64, description="an action (user.create) or its group (user)")] = None,
    date_from: Annotated[date | None, Query(
        alias="from", description="first day included, Thimphu time (YYYY-MM-DD)")] = None,
    date_to: Annotated[date | None, Query(
        alias="to", description="last day included, Thimphu time (YYYY-MM-DD)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditPage:
    """Who did what, newest first. The log is append-only: the database refuses to change
    or delete an entry."""
    wanted = AuditFilter(case_id=case_id, username=user, action=action, date_from=date_from,
                         date_to=date_to)
    with ctx.read() as session:  # a read: never holds up pushes
        lines, total = read_page(session, wanted, limit=limit, offset=offset)
        return AuditPage(entries=[_entry_out(line) for line in lines], total=total,
                         limit=limit, offset=offset)


def _entry_out(line: AuditLine) -> AuditEntryOut:
    entry = line.entry
    return AuditEntryOut(id=entry.id, at=entry.at, username=line.username,
                         device_id=entry.device_id, action=entry.action, entity=entry.entity,
                         entity_id=entry.entity_id, details=entry.details or {})
