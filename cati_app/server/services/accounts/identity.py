"""Who is asking: a bearer token turned into the signed-in user, for endpoints and services alike.

It lives with the accounts rather than in ``server.deps`` so that services (which take a
``CurrentUser`` to fence pushes and claims by device) never import the FastAPI layer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.core.protocol import Role
from cati_app.server.errors import Unauthorized
from cati_app.server.models import AuthToken, Device, User


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    role: Role
    device_id: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(session: Session, token_text: str, now: datetime) -> CurrentUser:
    """The user a live token belongs to; ``Unauthorized`` for an unknown, expired or revoked one."""
    row = session.execute(
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == token_hash(token_text))
    ).first()
    if row is None:
        raise Unauthorized()
    token, user = row
    if token.revoked_at is not None or token.expires_at <= now or not user.active:
        raise Unauthorized()
    device_revoked = session.scalar(
        select(Device.revoked_at).where(Device.user_id == user.id,
                                        Device.device_id == token.device_id)
    )
    if device_revoked is not None:
        raise Unauthorized("this device has been revoked: ask your supervisor")
    return CurrentUser(user.id, user.username, Role(user.role), token.device_id)
