"""Users, passwords, logins and tokens (DESIGN.md §5)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from cati_app.core.protocol import Role
from cati_app.server.audit import audit
from cati_app.server.context import AppContext
from cati_app.server.deps import token_hash
from cati_app.server.errors import BadRequest, Conflict, NotFound, TooManyRequests, Unauthorized
from cati_app.server.models import AuthToken, Device, LoginFailure, User

WRONG_LOGIN = "wrong username or password"


def create_user(session: Session, hasher: PasswordHasher, *, username: str, password: str,
                role: Role, full_name: str, at: datetime, by: int | None = None) -> User:
    username = username.strip()
    if not username or len(username) > 64:
        raise BadRequest("a username needs 1 to 64 characters")
    if len(password) < 8:
        raise BadRequest("a password needs at least 8 characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"the username {username!r} is taken")
    user = User(username=username, full_name=full_name, role=Role(role).value,
                password_hash=hasher.hash(password), active=True, created_at=at, feed_seq=0)
    session.add(user)
    session.flush()
    audit(session, at=at, user_id=by, action="user.create", entity="user", entity_id=user.id,
          details={"username": username, "role": user.role})
    return user


def set_password(session: Session, hasher: PasswordHasher, user: User, password: str,
                 *, at: datetime, by: int | None) -> None:
    if len(password) < 8:
        raise BadRequest("a password needs at least 8 characters")
    user.password_hash = hasher.hash(password)
    session.execute(update(AuthToken).where(AuthToken.user_id == user.id,
                                            AuthToken.revoked_at.is_(None))
                    .values(revoked_at=at))
    audit(session, at=at, user_id=by, action="user.password_reset", entity="user",
          entity_id=user.id)


def set_active(session: Session, user: User, active: bool, *, at: datetime, by: int | None
               ) -> None:
    user.active = active
    if not active:
        session.execute(update(AuthToken).where(AuthToken.user_id == user.id,
                                                AuthToken.revoked_at.is_(None))
                        .values(revoked_at=at))
    audit(session, at=at, user_id=by, action="user.activate" if active else "user.deactivate",
          entity="user", entity_id=user.id)


def user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    user: User


def login(ctx: AppContext, session: Session, *, username: str, password: str,
          device_id: str, address: str) -> IssuedToken | Unauthorized:
    """Check throttling, then the password; unknown users and wrong passwords look the same.

    A refusal is *returned*, not raised, because the failure it records must be committed
    (throttling counts it) while an exception would roll the transaction back."""
    now = ctx.clock.now()
    _check_throttle(ctx, session, username, address, now)
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not _verify(ctx.hasher, user.password_hash, password):
        session.add(LoginFailure(username=username, address=address, at=now))
        return Unauthorized(WRONG_LOGIN)
    if ctx.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = ctx.hasher.hash(password)
    device = _touch_device(session, user.id, device_id, now)
    if device.revoked_at is not None:
        return Unauthorized("this device has been revoked: ask your supervisor")
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    token = secrets.token_urlsafe(32)  # 256 bits
    expires = now + ctx.settings.token_ttl
    session.add(AuthToken(token_hash=token_hash(token), user_id=user.id, device_id=device_id,
                          created_at=now, expires_at=expires))
    audit(session, at=now, user_id=user.id, device_id=device_id, action="auth.login",
          entity="user", entity_id=user.id)
    return IssuedToken(token, expires, user)


# A real hash to verify against when the user does not exist, so both answers take as long.
_DUMMY_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("not a password")


def _verify(hasher: PasswordHasher, stored: str | None, password: str) -> bool:
    try:
        return hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerifyMismatchError, InvalidHashError):
        return False


def _check_throttle(ctx: AppContext, session: Session, username: str, address: str,
                    now: datetime) -> None:
    since = now - ctx.settings.login_window
    checks = (
        (LoginFailure.username == username, ctx.settings.login_failures_per_account),
        (LoginFailure.address == address, ctx.settings.login_failures_per_address),
    )
    for condition, limit in checks:
        count, first = session.execute(
            select(func.count(), func.min(LoginFailure.at))
            .where(condition, LoginFailure.at > since)
        ).one()
        if count >= limit:
            wait = int((first + ctx.settings.login_window - now).total_seconds()) + 1
            raise TooManyRequests(
                f"too many failed logins: try again in {max(1, wait // 60 + 1)} minutes", wait)


def _touch_device(session: Session, user_id: int, device_id: str, now: datetime) -> Device:
    device = session.scalar(select(Device).where(Device.user_id == user_id,
                                                 Device.device_id == device_id))
    if device is None:
        device = Device(device_id=device_id, user_id=user_id, first_seen=now, last_seen=now)
        session.add(device)
    else:
        device.last_seen = now
    return device


def revoke_device(session: Session, *, device_id: str, username: str | None, at: datetime,
                  by: int) -> int:
    query = select(Device).where(Device.device_id == device_id, Device.revoked_at.is_(None))
    if username:
        query = query.where(Device.user_id == user_by_name(session, username).id)
    devices = session.scalars(query).all()
    if not devices:
        raise NotFound(f"no active device {device_id!r}")
    for device in devices:
        device.revoked_at = at
        session.execute(update(AuthToken).where(AuthToken.user_id == device.user_id,
                                                AuthToken.device_id == device_id,
                                                AuthToken.revoked_at.is_(None))
                        .values(revoked_at=at))
        audit(session, at=at, user_id=by, action="device.revoke", entity="device",
              entity_id=device.id, details={"device_id": device_id})
    return len(devices)
