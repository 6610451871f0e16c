"""Who is asking: a bearer token turned into the signed-in user, for endpoints and services alike.

It lives with the accounts rather than in ``server.deps`` so that services (which take a
``CurrentUser`` to fence pushes and claims by device) never import the FastAPI layer.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

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


def authenticate(session: Session, token_text: str, now: datetime,
                 cache: TokenCache | None = None) -> CurrentUser:
    """The user a live token belongs to; ``Unauthorized`` for an unknown, expired or revoked one.

    With a ``cache``, a token found live is believed for ``cache.seconds`` without asking the
    database again (its expiry is still checked against ``now`` on every request)."""
    key = token_hash(token_text)
    if cache is not None and (hit := cache.get(key, now)) is not None:
        return hit
    # one statement: the token, its user and the device it is bound to
    row = session.execute(
        select(AuthToken.revoked_at, AuthToken.expires_at, AuthToken.device_id, User.id,
               User.username, User.role, User.active, Device.revoked_at.label("device_revoked"))
        .join(User, User.id == AuthToken.user_id)
        .outerjoin(Device, and_(Device.user_id == AuthToken.user_id,
                                Device.device_id == AuthToken.device_id))
        .where(AuthToken.token_hash == key)
    ).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.active:
        raise Unauthorized()
    if row.device_revoked is not None:
        raise Unauthorized("this device has been revoked: ask your supervisor")
    user = CurrentUser(row.id, row.username, Role(row.role), row.device_id)
    if cache is not None:
        cache.put(key, user, row.expires_at)
    return user


class TokenCache:
    """Tokens found live lately, per server process: most requests then skip the token check's
    query. A revocation (logout, a device or user revoked, a password reset) made by this
    process clears it at once (``forget_all``, called by the session hook in
    ``AppContext``); one made by another worker takes effect here within ``seconds``."""

    def __init__(self, seconds: float, timer: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        #: seconds, monotonic; a test may replace it to let time pass
        self.timer = timer
        self._entries: dict[str, tuple[CurrentUser, datetime, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, now: datetime) -> CurrentUser | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        user, expires_at, checked = entry
        if expires_at <= now or self.timer() - checked >= self.seconds:
            with self._lock:
                self._entries.pop(key, None)
            return None
        return user

    def put(self, key: str, user: CurrentUser, expires_at: datetime) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            if len(self._entries) >= MAX_CACHED_TOKENS:
                self._entries.clear()  # a crude bound: the next requests fill it again
            self._entries[key] = (user, expires_at, self.timer())

    def forget_all(self) -> None:
        with self._lock:
            self._entries.clear()


#: more live tokens than any field team has; a bound on the memory a token flood can take
MAX_CACHED_TOKENS = 10_000

_TOKENS_CHANGED = "token_cache.changed"


def forget_tokens_on_revocation(sessions: sessionmaker[Session], cache: TokenCache) -> None:
    """Empty ``cache`` whenever a session of ``sessions`` changes tokens, devices or users:
    at once, and again after the commit (a request in between may have cached the row as it
    was before the commit)."""

    def changed(session: Session) -> None:
        session.info[_TOKENS_CHANGED] = True
        cache.forget_all()

    @event.listens_for(sessions, "do_orm_execute")
    def _on_statement(state: ORMExecuteState) -> None:
        if state.is_update or state.is_delete:
            table = getattr(state.statement, "table", None)
            if getattr(table, "name", None) == AuthToken.__tablename__:
                changed(state.session)

    @event.listens_for(sessions, "before_flush")
    def _on_flush(session: Session, _context: object, _instances: object) -> None:
        if any(_changes_identity(o) for o in session.dirty):
            changed(session)

    @event.listens_for(sessions, "after_commit")
    def _on_commit(session: Session) -> None:
        if session.info.pop(_TOKENS_CHANGED, False):
            cache.forget_all()


#: the columns a cached CurrentUser depends on (a login's last_seen is not one of them)
_IDENTITY_COLUMNS: dict[type, tuple[str, ...]] = {
    AuthToken: ("revoked_at", "expires_at", "user_id", "device_id"),
    Device: ("revoked_at",),
    User: ("active", "role", "username"),
}


def _changes_identity(obj: object) -> bool:
    columns = _IDENTITY_COLUMNS.get(type(obj), ())
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in columns)
