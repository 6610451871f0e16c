"""Respondents' phone numbers in a supervisor's hands: masked in every list, shown in full only
on request with a reason, and every such request is in the audit log (issue 13)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cati_app.core.phones import format_for_reading
from cati_app.server.audit import audit
from cati_app.server.errors import NotFound
from cati_app.server.models import Case
from cati_app.server.services.cases.supervision import Actor


def reveal_phones(session: Session, actor: Actor, case_id: int, reason: str) -> list[str]:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"there is no case {case_id}")
    audit(session, at=actor.at, user_id=actor.user_id, device_id=actor.device_id,
          action="case.phones_revealed", entity="case", entity_id=case.id,
          details={"reason": reason, "numbers": len(case.phones())})
    return [format_for_reading(p) for p in case.phones()]
