"""Users, passwords, logins and tokens (DESIGN.md §5)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from cati_app.core.protocol import Role
from cati_app.server.audit import audit
from cati_app.server.context import AppContext
from cati_app.server.errors import (
    BadRequest,
    CatiError,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from cati_app.server.models import AuthToken, Device, LoginFailure, User
from cati_app.server.services.accounts import channels, password_policy
from cati_app.server.services.accounts.identity import token_hash

WRONG_LOGIN = "wrong username or password"
DEVICE_WAITING = ("device waiting for approval: this computer is new for your account; ask an "
                  "administrator to approve it, then log in again")


def create_user(session: Session, hasher: PasswordHasher, *, username: str, password: str,
                role: Role, full_name: str, at: datetime, by: int | None = None,
                check_policy: bool = True, agency: str | None = None) -> User:
    """``check_policy=False`` only for the demo's users, whose password is published anyway.
    ``agency``: the agency (a ``services.agency`` value) an ``agency`` account sees; required
    for that role and refused for the others (their access does not depend on it)."""
    username = username.strip()
    if not username or len(username) > 64:
        raise BadRequest("a username needs 1 to 64 characters")
    agency = _checked_agency(Role(role), agency)
    if check_policy:
        password_policy.check(password, username=username, role=role)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"the username {username!r} is taken")
    user = User(username=username, full_name=full_name, role=Role(role).value,
                password_hash=hasher.hash(password), active=True, created_at=at, feed_seq=0,
                agency=agency)
    session.add(user)
    session.flush()
    audit(session, at=at, user_id=by, action="user.create", entity="user", entity_id=user.id,
          details={"username": username, "role": user.role, "agency": agency})
    return user


def _checked_agency(role: Role, agency: str | None) -> str | None:
    agency = (agency or "").strip() or None
    if role == Role.agency and agency is None:
        raise BadRequest("an agency account needs its agency (the services' agency, e.g. "
                         "DCRC): give agency")
    if role != Role.agency and agency is not None:
        raise BadRequest(f"only an agency account has an agency: leave it out for a {role}")
    return agency


def agency_of(session: Session, user_id: int) -> str | None:
    """The agency an ``agency`` account may see (None for every other account)."""
    return session.scalar(select(User.agency).where(User.id == user_id))


def set_password(session: Session, hasher: PasswordHasher, user: User, password: str,
                 *, at: datetime, by: int | None) -> None:
    """A new password ends every session and any lock from failed logins: the admin who
    resets it has just decided who may use the account."""
    _not_a_channel(user)
    password_policy.check(password, username=user.username, role=user.role)
    user.password_hash = hasher.hash(password)
    session.execute(update(AuthToken).where(AuthToken.user_id == user.id,
                                            AuthToken.revoked_at.is_(None))
                    .values(revoked_at=at))
    session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))
    audit(session, at=at, user_id=by, action="user.password_reset", entity="user",
          entity_id=user.id)


def set_active(session: Session, user: User, active: bool, *, at: datetime, by: int | None
               ) -> None:
    if active:
        _not_a_channel(user)
    user.active = active
    if not active:
        session.execute(update(AuthToken).where(AuthToken.user_id == user.id,
                                                AuthToken.revoked_at.is_(None))
                        .values(revoked_at=at))
    audit(session, at=at, user_id=by, action="user.activate" if active else "user.deactivate",
          entity="user", entity_id=user.id)


def set_role(session: Session, user: User, role: Role, *, at: datetime, by: int) -> None:
    """A new role ends the account's sessions: each window is built for one role, so the
    person signs in again and gets the workspace of the new one. Nobody changes their own
    role (the last admin cannot demote themself by mistake)."""
    if user.id == by:
        raise Conflict("you cannot change your own role: ask another admin")
    _not_a_channel(user)
    old = user.role
    if old == Role(role).value:
        return
    if Role.agency.value in (old, Role(role).value):
        # an agency account is another kind of account (bound to its agency, web only)
        raise Conflict("an agency account cannot change role, nor another account become "
                       "one: create a new account with the role it needs")
    user.role = Role(role).value
    _revoke_tokens(session, user, at)
    audit(session, at=at, user_id=by, action="user.role", entity="user", entity_id=user.id,
          details={"from": old, "to": user.role})


def set_skills(session: Session, user: User, *, languages: list[str], skills: list[str],
               at: datetime, by: int | None) -> None:
    """The languages an account interviews in and its skills (issue 18), both replaced; the
    codes are checked by the request model (protocol_admin.SkillsChange). Setting what is
    already there records nothing. Claims read them at their next call: no session ends."""
    _not_a_channel(user)
    before = {"languages": list(user.languages or []), "skills": list(user.skills or [])}
    after = {"languages": list(languages), "skills": list(skills)}
    if before == after:
        return
    user.languages, user.skills = after["languages"], after["skills"]
    audit(session, at=at, user_id=by, action="user.skills", entity="user", entity_id=user.id,
          details={"before": before, "after": after})


def _not_a_channel(user: User) -> None:
    """The self-completion channels' accounts hold cases waiting for an SMS or web answer;
    nobody may sign in as one (accounts.channels), so none gets a password, a role, skills
    or an active state."""
    if user.username in channels.USERNAMES:
        raise Conflict(f"{user.username} is a channel's system account (it holds cases "
                       "waiting for an answer by SMS or the web): nobody signs in as it")


def _revoke_tokens(session: Session, user: User, at: datetime) -> None:
    session.execute(update(AuthToken).where(AuthToken.user_id == user.id,
                                            AuthToken.revoked_at.is_(None))
                    .values(revoked_at=at))


@dataclass(frozen=True)
class Lock:
    username: str
    failed_logins: int
    locked_until: datetime


def locked_accounts(session: Session, *, now: datetime, window: timedelta, limit: int
                    ) -> list[Lock]:
    """Accounts whose next login would be refused for failed logins (as ``_check_throttle``
    counts them: the next attempt's own failure makes ``limit + 1``), and until when at
    the latest. Failures under usernames nobody has are guesses, not locked accounts."""
    rows = session.execute(
        select(LoginFailure.username, func.count(), func.min(LoginFailure.at))
        .join(User, User.username == LoginFailure.username)
        .where(LoginFailure.at > now - window)
        .group_by(LoginFailure.username)
        .having(func.count() >= limit)
        .order_by(LoginFailure.username))
    return [Lock(username, count, first + window) for username, count, first in rows]


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


def reserve_attempt(ctx: AppContext, session: Session, *, username: str, address: str
                    ) -> int:
    """Record this login attempt as a failure *before* it is checked; the caller commits at
    once, so every concurrent attempt sees it. Counting after recording (never "count, check,
    then record") is what keeps the throttle exact with many workers on PostgreSQL: an attempt
    sees itself and every attempt committed before it, so at most ``limit`` are ever checked.
    A successful login deletes the row again (with the account's other failures)."""
    attempt = LoginFailure(username=username[:64], address=address[:64], at=ctx.clock.now())
    session.add(attempt)
    session.flush()
    return attempt.id


def login(ctx: AppContext, session: Session, *, username: str, password: str,
          device_id: str, address: str, attempt_id: int) -> IssuedToken | CatiError:
    """Check throttling, then the password; unknown users and wrong passwords look the same.

    ``attempt_id`` is the failure reserved (and committed) by :func:`reserve_attempt`. A
    refusal is *returned*, not raised, because what it records must be committed (throttling
    counts it) while an exception would roll the transaction back."""
    now = ctx.clock.now()
    refused = _check_throttle(ctx, session, username, address, now)
    if refused is not None:
        # Refused without looking at the password: the reservation is not a guess, so it is
        # taken back (a lock is not stretched by the attempts it refuses).
        session.execute(delete(LoginFailure).where(LoginFailure.id == attempt_id))
        return refused
    user = session.scalar(select(User).where(User.username == username))
    # The hash is checked for unknown and deactivated users too (against a dummy hash of
    # the same cost), so the time an answer takes does not tell whether the username exists.
    password_ok = _verify(ctx.hasher, user.password_hash if user else None, password)
    if user is None or not user.active or not password_ok:
        return Unauthorized(WRONG_LOGIN)  # the reserved failure stays
    if ctx.hasher.check_needs_rehash(user.password_hash):
        user.password_hash = ctx.hasher.hash(password)
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    device = _touch_device(ctx, session, user, device_id, now)
    if device.revoked_at is not None:
        return Unauthorized("this device has been revoked: ask your supervisor")
    if device.approved_at is None:
        return Forbidden(DEVICE_WAITING)
    token = secrets.token_urlsafe(32)  # 256 bits
    expires = now + ctx.settings.token_ttl
    session.add(AuthToken(token_hash=token_hash(token), user_id=user.id, device_id=device_id,
                          created_at=now, expires_at=expires))
    audit(session, at=now, user_id=user.id, device_id=device_id, action="auth.login",
          entity="user", entity_id=user.id)
    return IssuedToken(token, expires, user)


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int, hash_len: int,
                salt_len: int) -> str:
    """A real hash of the server's own cost to verify against when there is no user."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                          parallelism=parallelism, hash_len=hash_len, salt_len=salt_len
                          ).hash("not a password")


def _verify(hasher: PasswordHasher, stored: str | None, password: str) -> bool:
    dummy = _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism,
                        hasher.hash_len, hasher.salt_len)
    try:
        return hasher.verify(stored or dummy, password) and stored is not None
    except (VerifyMismatchError, InvalidHashError):
        return False


def _check_throttle(ctx: AppContext, session: Session, username: str, address: str,
                    now: datetime) -> TooManyRequests | None:
    """Too many failures for the account or the address within the window, counting this
    attempt's own reservation and every one committed so far. Of the attempts that pass, the
    last to count has seen all the others (each committed before counting), so no more than
    ``limit`` are ever checked; concurrent attempts may over-count, never under-count."""
    since = now - ctx.settings.login_window
    checks = (
        (LoginFailure.username == username[:64], ctx.settings.login_failures_per_account),
        (LoginFailure.address == address[:64], ctx.settings.login_failures_per_address),
    )
    for condition, limit in checks:
        count, first = session.execute(
            select(func.count(), func.min(LoginFailure.at))
            .where(condition, LoginFailure.at > since)
        ).one()
        if count > limit:
            wait = int((first + ctx.settings.login_window - now).total_seconds()) + 1
            return TooManyRequests(
                f"too many failed logins: try again in {max(1, wait // 60 + 1)} minutes", wait)
    return None


def _touch_device(ctx: AppContext, session: Session, user: User, device_id: str,
                  now: datetime) -> Device:
    """The account's registration of this device, made on its first login. A new device is
    audited (the admin sees every one in GET /v1/admin/devices, so a revocation cannot be
    dodged unseen by another device id) and, with ``require_device_approval``, waits for an
    admin; admins' own devices never wait, so the last admin cannot be locked out."""
    device = session.scalar(select(Device).where(Device.user_id == user.id,
                                                 Device.device_id == device_id))
    if device is None:
        waits = ctx.settings.require_device_approval and user.role != Role.admin.value
        device = Device(device_id=device_id, user_id=user.id, first_seen=now, last_seen=now,
                        approved_at=None if waits else now)
        session.add(device)
        session.flush()
        audit(session, at=now, user_id=user.id, device_id=device_id, action="device.new",
              entity="device", entity_id=device.id,
              details={"device_id": device_id, "waiting_for_approval": waits})
    else:
        device.last_seen = now
    return device


def list_devices(session: Session) -> list[tuple[Device, str]]:
    """Every account's devices with the username, newest first (new ones on top)."""
    return [(device, username) for device, username in session.execute(
        select(Device, User.username).join(User, User.id == Device.user_id)
        .order_by(Device.first_seen.desc(), Device.id.desc()))]


def approve_device(session: Session, *, device_id: str, username: str, at: datetime,
                   by: int) -> Device:
    user = user_by_name(session, username)
    device = session.scalar(select(Device).where(Device.user_id == user.id,
                                                 Device.device_id == device_id))
    if device is None:
        raise NotFound(f"{username!r} has never logged in from device {device_id!r}")
    if device.revoked_at is not None:
        raise Conflict(f"device {device_id!r} of {username!r} is revoked: it stays revoked")
    if device.approved_at is None:
        device.approved_at = at
        audit(session, at=at, user_id=by, action="device.approve", entity="device",
              entity_id=device.id, details={"device_id": device_id, "username": username})
    return device


def unlock(session: Session, user: User, *, at: datetime, by: int) -> int:
    """Forget the account's failed logins, ending a lock; the number forgotten. Failures
    counted against an address (other accounts' guesses from there) are left alone."""
    # a DELETE's result is a CursorResult (it has the row count); Session types it as Result
    deleted = cast(CursorResult[Any], session.execute(delete(LoginFailure).where(
        LoginFailure.username == user.username)))
    forgotten = deleted.rowcount or 0
    audit(session, at=at, user_id=by, action="user.unlock", entity="user", entity_id=user.id,
          details={"failed_logins_forgotten": forgotten})
    return forgotten


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


def logout(session: Session, token: str, *, at: datetime) -> None:
    """End one session (the web scorecard's sign-out): its token is revoked and the
    sign-out audited. An unknown or already revoked token changes nothing."""
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == token_hash(token),
                                                 AuthToken.revoked_at.is_(None)))
    if row is None:
        return
    row.revoked_at = at
    audit(session, at=at, user_id=row.user_id, device_id=row.device_id, action="auth.logout",
          entity="user", entity_id=row.user_id)
