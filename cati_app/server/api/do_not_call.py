"""The do-not-call register (issue 15): supervisors list it (masked) and add to it, admins
remove from it with a reason. Thin: the rules are in ``services.cases.do_not_call_register``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from cati_app.core.phones import masked_middle
from cati_app.core.protocol_sampling import (
    DoNotCallAdd,
    DoNotCallEntry,
    DoNotCallPage,
    DoNotCallRemove,
)
from cati_app.server.deps import Admin, Ctx, Supervisor
from cati_app.server.errors import Unprocessable, error_responses
from cati_app.server.services.cases import do_not_call_register as register

ERRORS = error_responses(401, 403, 422)
router = APIRouter(prefix="/v1", tags=["supervision"], responses=ERRORS)
#: what a person may say put a number there from the desktop or API; "respondent" comes only
#: from a pushed "never call me" and "sms_stop" only from the SMS channel
BY_HAND = ("request", "supervisor")


@router.get("/do-not-call", response_model=DoNotCallPage)
def list_register(
    ctx: Ctx, _user: Supervisor,
    last_digits: Annotated[str, Query(max_length=register.MAX_SEARCH_DIGITS,
                                      description="entries whose number ends so")] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DoNotCallPage:
    """The numbers in force, newest first, masked (``+975 17•••••42``)."""
    with ctx.read() as session:
        lines, total = register.page(session, last_digits=last_digits, limit=limit,
                                     offset=offset)
        return DoNotCallPage(total=total, limit=limit, offset=offset,
                             entries=[_entry(line) for line in lines])


@router.post("/do-not-call", response_model=DoNotCallEntry,
             responses=error_responses(401, 403, 422))
def add_number(ctx: Ctx, user: Supervisor, body: DoNotCallAdd) -> DoNotCallEntry:
    """Put a number on the register; open cases left without a number to call are withdrawn
    (``cases_withdrawn``). A number already on it: ``already_listed``, nothing changes."""
    if body.source not in BY_HAND:
        raise Unprocessable(f"source {body.source!r} is recorded by the system itself; "
                            f"choose one of {', '.join(BY_HAND)}")
    with ctx.transaction() as session:
        added = register.add(session, body.phone, source=body.source, reason=body.reason,
                             at=ctx.clock.now(), by=user.id, device_id=user.device_id)
        return _entry(register.line_of(session, added.entry), added.cases_withdrawn,
                      added.already_listed)


@router.post("/do-not-call/{entry_id}/remove", response_model=DoNotCallEntry,
             responses=error_responses(401, 403, 404, 409, 422))
def remove_number(ctx: Ctx, user: Admin, entry_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                  body: DoNotCallRemove) -> DoNotCallEntry:
    """Take an entry off the register (admins only, with a reason); the entry stays in its
    history. Cases it withdrew stay closed."""
    with ctx.transaction() as session:
        entry = register.remove(session, entry_id, reason=body.reason, at=ctx.clock.now(),
                                by=user.id)
        return _entry(register.line_of(session, entry))


def _entry(line: register.Line, cases_withdrawn: int = 0, already_listed: bool = False
           ) -> DoNotCallEntry:
    e = line.entry
    return DoNotCallEntry(
        id=e.id, phone_masked=masked_middle(e.phone), source=e.source,  # type: ignore[arg-type]
        reason=e.reason, added_at=e.added_at, added_by=line.added_by,
        cases_withdrawn=cases_withdrawn, already_listed=already_listed, removed_at=e.removed_at,
        removed_by=line.removed_by, removal_reason=e.removal_reason)
