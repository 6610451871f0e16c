"""What a number put on the do-not-call register does to the open cases that carry it.

A queued or held case whose numbers are now all on the register is closed at once, never to be
called: a refusal (``register_refusal``) when the number's owner asked, "other eligible"
(``register_other``) when a supervisor put it there on their own account. Its holder's desktop
drops it through the change feed, as after a supervisor's withdrawal. A case with a number
still allowed stays open; its holder gets the case again (the claim's view, which leaves out
numbers on the register). Cases waiting for a supervisor (needs_supervisor) are left to them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cati_app.core import outcomes
from cati_app.core.protocol import CaseRevokedBody, ChangeType
from cati_app.server.audit import audit
from cati_app.server.feed import append_change, lock_feeds
from cati_app.server.models import Case, CaseState, DoNotCall
from cati_app.server.services.cases import case_plan
from cati_app.server.services.cases.do_not_call import blocked_numbers
from cati_app.server.services.cases.supervision import lock_cases, send_case

#: sources where the number's owner asked not to be called: a refusal, not "other"
OWNER_ASKED = frozenset({"respondent", "sms_stop", "request"})
WITHDRAWN = "withdrawn: every number of the case is on the do-not-call register"


def withdraw_cases(session: Session, entry: DoNotCall, *, at: datetime, by: int | None,
                   device_id: str = "") -> int:
    """Close the open cases ``entry`` leaves without a number to call; how many were closed."""
    phone = entry.phone
    ids = list(session.scalars(select(Case.id).where(
        Case.state.in_((CaseState.QUEUED, CaseState.HELD)),
        or_(Case.phone1 == phone, Case.phone2 == phone, Case.phone3 == phone))))
    if not ids:
        return 0
    cases = lock_cases(session, ids)
    lock_feeds(session, [c.holder_id for c in cases.values()])
    blocked = blocked_numbers(session, {p for c in cases.values() for p in c.phones()})
    kind = outcomes.outcome("register_refusal" if entry.source in OWNER_ASKED
                            else "register_other")
    withdrawn = 0
    for case in cases.values():
        if case.state not in (CaseState.QUEUED, CaseState.HELD):
            continue  # closed or sent to a supervisor since the first look
        if set(case.phones()) <= blocked:
            _close(session, case, kind, entry, at=at, by=by, device_id=device_id)
            withdrawn += 1
        elif case.holder_id is not None:
            send_case(session, case, at)  # the holder's copy without the number
    return withdrawn


def _close(session: Session, case: Case, kind: outcomes.Outcome, entry: DoNotCall, *,
           at: datetime, by: int | None, device_id: str) -> None:
    holder = case.holder_id
    case.disposition, case.disposition_code = kind.key, kind.aapor_code
    case_plan.close(session, case, at=at, by=by, device_id=device_id, reason=WITHDRAWN)
    if holder is not None and holder == by:
        # revoke_holder leaves the feed alone when the holder ends the hold themselves; here
        # the holder's "never call me" on one case withdraws another case of theirs, which
        # their desktop knows nothing about yet
        append_change(session, user_id=holder, type=ChangeType.case_revoked, at=at,
                      case_id=case.id, assignment_version=case.assignment_version,
                      body=CaseRevokedBody(reason=f"case closed: {WITHDRAWN}"))
    audit(session, at=at, user_id=by, device_id=device_id, action="case.withdraw",
          entity="case", entity_id=case.id,
          details={"do_not_call_id": entry.id, "disposition": kind.key,
                   "aapor_code": kind.aapor_code})
