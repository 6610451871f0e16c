"""Former holders who are not offered a case again (issue 10, DESIGN.md §4).

Rules (docs/api.md, "Claims: exclusions, caps and rate limits; re-imports"):
- an enumerator who releases a case is never handed it again by a claim, with or without a
  reason: the desktop always asks for one, and a release without one still means "not me";
- a case a supervisor takes from its holder and returns to the pool is not handed back to
  that holder by a claim either (the supervisor took it away for a reason);
- a claim that was never acknowledged (delivery timeout) excludes no one: the device never
  had the case;
- exclusions bind claims only: a supervisor may still assign the case to that person by hand.
Other enumerators claim the case as usual, so an excluded case never starves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from cati_app.server.models import Case, CaseExclusion

RELEASED = "released"
RETURNED = "returned"


def exclude(session: Session, case_id: int, user_id: int, *, reason: str, detail: str,
            at: datetime) -> None:
    """Record (or refresh) that ``user_id`` is not to be offered ``case_id`` again. Callers
    hold the case's row lock, so no one else writes this pair meanwhile."""
    row = session.get(CaseExclusion, (case_id, user_id))
    if row is None:
        session.add(CaseExclusion(case_id=case_id, user_id=user_id, reason=reason,
                                  detail=detail[:1000], created_at=at))
    else:
        row.reason, row.detail, row.created_at = reason, detail[:1000], at


def not_excluded(user_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """For the claim's stages: one primary-key probe per candidate row."""
    return ~exists(select(CaseExclusion.case_id).where(CaseExclusion.case_id == Case.id,
                                                       CaseExclusion.user_id == user_id))
