"""Who is on shift (issue 18): the one definition the claim's routing and the dashboards share.

An enumerator is on shift while signed in: an active account with a token that is neither
revoked (signing out revokes it) nor expired. A laptop closed without signing out counts until
its token expires; that errs towards thinking a language is covered, so the starvation
fallback's wait (not a missed shift) is what bounds a case's delay.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, exists, select

from cati_app.core.protocol import Role
from cati_app.server.models import AuthToken, User


def on_shift_enumerators(now: datetime) -> Select[User]:
    signed_in = exists(select(AuthToken.id).where(
        AuthToken.user_id == User.id, AuthToken.revoked_at.is_(None), AuthToken.expires_at > now))
    return select(User).where(User.role == Role.enumerator.value, User.active, signed_in)
