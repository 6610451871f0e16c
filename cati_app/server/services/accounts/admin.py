"""Administration beyond ``services.accounts.users``: what else has to happen when an account
changes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.server.errors import Conflict
from cati_app.server.models import Case, CaseState, Service, User
from cati_app.server.services.accounts import users
from cati_app.server.services.cases import assignments
from cati_app.server.services.cases.supervision import Actor, lock_cases, to_queue


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def list_services(session: Session) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.code)))


def deactivate(session: Session, actor: Actor, username: str) -> tuple[User, int]:
    """Deactivate an account (its tokens are revoked) and return the cases it held to the
    pool, so nobody's respondents wait for someone who is gone. Work the person already did
    offline is still accepted later as stale and flagged (nothing is lost)."""
    user = users.user_by_name(session, username)
    if user.id == actor.user_id:
        raise Conflict("you cannot deactivate your own account: ask another admin")
    users.set_active(session, user, False, at=actor.at, by=actor.user_id)
    held = session.scalars(select(Case.id).where(Case.holder_id == user.id,
                                                 Case.state == CaseState.HELD)).all()
    for case in lock_cases(session, held).values():
        if case.holder_id == user.id:  # re-checked under the lock
            assignments.return_to_pool(session, case, at=actor.at, by=actor.user_id,
                                       reason="enumerator deactivated",
                                       device_id=actor.device_id)
            to_queue(case)
    return user, len(held)
