"""Keeping the do-not-call register (issue 15, DESIGN.md §9.1): add, remove, list.

Who adds: a respondent saying "never call me" (the push of that outcome), an SMS STOP
(issue 17 calls ``add(..., source="sms_stop")``), a request to RCSC or a supervisor's own
decision (the API). Removing needs an admin and a reason (the endpoint checks the role); the
row stays, with who removed it, when and why.

The full number never leaves the server: lists and replies carry ``masked_middle``, and so
does the audit trail. The audit keeps the mask and the entry's id rather than a hash: there are
only about 10^8 Bhutanese numbers, so an unkeyed hash is undone by trying them all in seconds,
while the id leads whoever may read the table to the number. Free text (the reason) is stored
with digit runs that look like phone numbers masked, for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cati_app.core.phones import InvalidPhoneNumber, masked_middle, normalize
from cati_app.core.safe_text import mask_phone_runs
from cati_app.server.audit import audit
from cati_app.server.errors import Conflict, NotFound, Unprocessable
from cati_app.server.models import DoNotCall, User
from cati_app.server.services.cases.do_not_call_withdraw import withdraw_cases

SOURCES: Final = ("respondent", "sms_stop", "request", "supervisor")
#: how many trailing digits a search may give: enough to find an entry someone names, too few
#: to confirm a whole number by searching for it
MAX_SEARCH_DIGITS = 4


@dataclass(frozen=True)
class Added:
    entry: DoNotCall
    #: the number was on the register already: nothing changed
    already_listed: bool
    cases_withdrawn: int = 0


@dataclass(frozen=True)
class Line:
    entry: DoNotCall
    added_by: str
    removed_by: str = ""


def add(session: Session, phone: object, *, source: str, reason: str = "", at: datetime,
        by: int | None, device_id: str = "") -> Added:
    """Put ``phone`` (written any usual way) on the register and withdraw the open cases it
    leaves without a number to call. Idempotent: a number already on it comes back with
    ``already_listed`` and nothing changes (a replayed "never call me" adds once)."""
    if source not in SOURCES:
        raise Unprocessable(f"unknown source {source!r}: use one of {', '.join(SOURCES)}")
    try:
        number = normalize(phone)
    except InvalidPhoneNumber as exc:
        raise Unprocessable(f"the number cannot go on the register: {exc.reason}") from None
    existing = _in_force(session, number)
    if existing is not None:
        return Added(existing, already_listed=True)
    entry = DoNotCall(phone=number, source=source, reason=mask_phone_runs(reason.strip())[:500],
                      added_at=at, added_by=by, removal_reason="")
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:  # the same number added by a concurrent request, committed first
        existing = _in_force(session, number)
        if existing is None:
            raise
        return Added(existing, already_listed=True)
    withdrawn = withdraw_cases(session, entry, at=at, by=by, device_id=device_id)
    audit(session, at=at, user_id=by, device_id=device_id, action="do_not_call.add",
          entity="do_not_call", entity_id=entry.id,
          details={"phone": masked_middle(number), "source": source, "reason": entry.reason,
                   "cases_withdrawn": withdrawn})
    return Added(entry, already_listed=False, cases_withdrawn=withdrawn)


def remove(session: Session, entry_id: int, *, reason: str, at: datetime, by: int) -> DoNotCall:
    """Take an entry off the register (an admin's decision, with a reason). The row stays.
    Cases withdrawn when it was added stay closed: a new call list brings the person back."""
    reason = mask_phone_runs(reason.strip())
    if len(reason) < 3:
        raise Unprocessable("say why the number may be called again (at least 3 characters)")
    entry = session.scalar(select(DoNotCall).where(DoNotCall.id == entry_id).with_for_update())
    if entry is None:
        raise NotFound(f"no do-not-call entry {entry_id}: reload the register")
    if entry.removed_at is not None:
        raise Conflict(f"entry {entry_id} was already removed: reload the register")
    entry.removed_at, entry.removed_by, entry.removal_reason = at, by, reason[:500]
    audit(session, at=at, user_id=by, action="do_not_call.remove", entity="do_not_call",
          entity_id=entry.id, details={"phone": masked_middle(entry.phone), "reason": reason})
    return entry


def page(session: Session, *, last_digits: str = "", limit: int, offset: int
         ) -> tuple[list[Line], int]:
    """Entries in force, newest first, optionally those whose number ends in ``last_digits``."""
    digits = last_digits.strip()
    if digits and (not digits.isdigit() or len(digits) > MAX_SEARCH_DIGITS):
        raise Unprocessable(f"search by the last 1 to {MAX_SEARCH_DIGITS} digits of the number")
    query = select(DoNotCall).where(DoNotCall.removed_at.is_(None))
    if digits:
        query = query.where(DoNotCall.phone.endswith(digits))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    entries = list(session.scalars(query.order_by(DoNotCall.added_at.desc(), DoNotCall.id.desc())
                                   .limit(limit).offset(offset)))
    names = _usernames(session, {e.added_by for e in entries} | {e.removed_by for e in entries})
    return [Line(e, names.get(e.added_by, ""), names.get(e.removed_by, ""))
            for e in entries], total


def line_of(session: Session, entry: DoNotCall) -> Line:
    names = _usernames(session, {entry.added_by, entry.removed_by})
    return Line(entry, names.get(entry.added_by, ""), names.get(entry.removed_by, ""))


def _usernames(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
    return {user_id: username for user_id, username in rows}


def _in_force(session: Session, phone: str) -> DoNotCall | None:
    return session.scalar(select(DoNotCall).where(DoNotCall.phone == phone,
                                                  DoNotCall.removed_at.is_(None)))
