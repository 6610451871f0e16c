"""Which agency's scorecard a signed-in user may read (issue 16, DESIGN.md §5).

An ``agency`` account reads its own agency only, whatever it asks for; analysts, supervisors
and admins read any agency (None: all of them). The API and the web pages both ask here, so
the rule has one home.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.core.complaints import FOLLOW_UP_QUESTIONNAIRE
from cati_app.core.protocol import Role
from cati_app.server.errors import Forbidden
from cati_app.server.models import Service
from cati_app.server.services.accounts.identity import CurrentUser
from cati_app.server.services.accounts.users import agency_of

READERS = frozenset({Role.agency, Role.analyst, Role.supervisor, Role.admin})


def allowed_agency(session: Session, user: CurrentUser, requested: str | None) -> str | None:
    """The agency to report on for ``user`` asking for ``requested`` (None: every agency)."""
    if user.role not in READERS:
        raise Forbidden("scorecards are for agency accounts, analysts, supervisors and admins")
    if user.role != Role.agency:
        return requested or None
    own = agency_of(session, user.id)
    if own is None:
        raise Forbidden("this agency account has no agency: ask an admin to set it up again")
    if requested and requested != own:
        raise Forbidden(f"this account sees the scorecard of {own} only")
    return own


def agencies(session: Session) -> list[str]:
    """Every agency with a service, for the filters of those who may see them all."""
    return sorted(a for a in session.scalars(select(Service.agency).distinct()) if a)


def services_of(session: Session, agency: str | None) -> list[tuple[str, str]]:
    """(code, name) of the agency's services (every service for None), by code; complaint
    call-back services (``-FU``) are not rated, so they are not offered."""
    query = (select(Service.code, Service.name)
             .where(Service.questionnaire_id != FOLLOW_UP_QUESTIONNAIRE)
             .order_by(Service.code))
    if agency is not None:
        query = query.where(Service.agency == agency)
    return [(code, name) for code, name in session.execute(query)]
