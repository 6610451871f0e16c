"""New devices (issue 10): the snapshot a fresh local store starts from, handing an old
device's holds over, device fencing, and the holds a supervisor should look at.

A case is worked by one *device*, not only one enumerator: a claim binds it to the claiming
device (``Case.holder_device``). Work from another device of the same enumerator is not
current (it is stored as stale, never dropped, G4), and only the claiming device may
acknowledge its grant. A case a supervisor gave to an enumerator (assignment, correction)
has no device yet and may be worked from any of the holder's devices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cati_app.core.protocol import CaseRevokedBody, ChangeType, SnapshotResponse
from cati_app.server.audit import audit
from cati_app.server.context import AppContext
from cati_app.server.feed import append_changes, lock_feeds
from cati_app.server.models import Case, CaseState, Device, User
from cati_app.server.services.accounts import channels
from cati_app.server.services.accounts.identity import CurrentUser
from cati_app.server.services.cases import assignments
from cati_app.server.services.cases.case_views import queue_case_views

#: why a hold is listed for the supervisor
IDLE = "idle"
OTHER_DEVICE = "other_device"
MAX_IDLE_HOLDS = 1000


# --- snapshot --------------------------------------------------------------------------------

def take_snapshot(ctx: AppContext, session: Session, user: CurrentUser) -> SnapshotResponse:
    """The cases ``user`` holds now, as this device may work them, and the feed cursor of the
    same moment. Holds of the user's other devices move over when those devices are quiet.

    Locks follow the order every writer uses (cases, then the feed; see feed.lock_feeds):
    the held cases first, then the user's feed row, then the held cases are read again, so a
    case granted (and announced in the feed) between the two reads is in the snapshot too.
    Once the feed row is locked no other writer can append to this user's feed until we
    commit, so the cursor read last covers exactly what the snapshot shows (G6)."""
    now = ctx.clock.now()
    _held(session, user.id)
    lock_feeds(session, [user.id])
    held = _held(session, user.id)
    mine = [c for c in held if c.held_on(user.id, user.device_id)]
    quiet = _quiet_devices(ctx, session, user.id,
                           {c.holder_device for c in held} - {None, user.device_id}, now)
    movable = [c for c in held if not c.held_on(user.id, user.device_id)
               and c.holder_device in quiet and c.delivery_deadline is None]
    _hand_over(session, movable, user, now)
    kept = len(held) - len(mine) - len(movable)
    cursor = session.scalar(select(User.feed_seq).where(User.id == user.id)) or 0
    audit(session, at=now, user_id=user.id, device_id=user.device_id, action="sync.snapshot",
          entity="user", entity_id=user.id,
          details={"cases": len(mine) + len(movable), "handed_over": [c.id for c in movable],
                   "kept_on_other_device": kept, "cursor": cursor})
    cases = sorted(mine + movable, key=lambda c: c.id)
    return SnapshotResponse(cases=queue_case_views(session, cases), cursor=str(cursor),
                            handed_over=len(movable), kept_on_other_device=kept,
                            server_time=now)


def _held(session: Session, user_id: int) -> list[Case]:
    return list(session.scalars(
        select(Case).where(Case.holder_id == user_id, Case.state == CaseState.HELD)
        .order_by(Case.id).with_for_update().execution_options(populate_existing=True)))


def _quiet_devices(ctx: AppContext, session: Session, user_id: int, devices: set[str | None],
                   now: datetime) -> set[str]:
    """The devices that neither logged in nor worked one of their held cases within the
    quiet time: their holds may move. A device seen more recently may still hold work it
    has not sent, so its holds stay with it (and the supervisor sees them)."""
    if not devices:
        return set()
    last_login = dict(session.execute(
        select(Device.device_id, Device.last_seen)
        .where(Device.user_id == user_id, Device.device_id.in_(devices))).all())
    last_work = dict(session.execute(
        select(Case.holder_device, func.max(Case.updated_at))
        .where(Case.holder_id == user_id, Case.state == CaseState.HELD,
               Case.holder_device.in_(devices))
        .group_by(Case.holder_device)).all())
    cutoff = now - ctx.settings.handover_quiet
    return {d for d in devices if d is not None
            and max(t for t in (last_login.get(d), last_work.get(d)) if t is not None) < cutoff}


def _hand_over(session: Session, cases: list[Case], user: CurrentUser, now: datetime) -> None:
    """New holds on the new device: each case's version moves on, so the old device's work on
    it is stale (stored, flagged, never lost), and the feed tells the old device the case was
    taken back. Set-wise (a full queue is 200 cases): the hold ends are written at once and
    the feed entries take their numbers in one statement."""
    if not cases:
        return
    reason = f"moved to the enumerator's device {user.device_id}"
    deferred = assignments.DeferredWrites()
    revoked = []
    for case in cases:
        assignments.revoke_holder(session, case, at=now, reason=reason, by=user.id,
                                  device_id=user.device_id, deferred=deferred)
        revoked.append((case.id, case.assignment_version))
        assignments.grant(session, case, user_id=user.id, at=now, by=user.id,
                          device_id=user.device_id, delivery_deadline=None,
                          reason="handover")
    assignments.write_deferred(session, deferred)
    append_changes(session, user_id=user.id, type=ChangeType.case_revoked, at=now,
                   entries=[(case_id, version, CaseRevokedBody(reason=reason))
                            for case_id, version in revoked])


# --- holds for the supervisor -----------------------------------------------------------------

@dataclass(frozen=True)
class Hold:
    case_id: int
    holder: str
    device_id: str | None
    reason: str
    last_touched: datetime
    assignment_version: int


def holds_to_review(ctx: AppContext, session: Session, now: datetime,
                    limit: int = MAX_IDLE_HOLDS) -> list[Hold]:
    """Held cases a supervisor should look at, in case order: those on a device other than
    the one the holder last logged in from (a new PC took over, but this device may still
    hold unsent work), and those no device has touched for the idle time."""
    latest_device = (select(Device.device_id).where(Device.user_id == Case.holder_id)
                     .order_by(Device.last_seen.desc(), Device.id.desc()).limit(1)
                     .correlate(Case).scalar_subquery())
    elsewhere = Case.holder_device.is_not(None) & (Case.holder_device != latest_device)
    idle = Case.updated_at < now - ctx.settings.idle_hold
    rows = session.execute(
        select(Case, User.username, elsewhere.label("elsewhere"))
        .join(User, User.id == Case.holder_id)
        .where(Case.state == CaseState.HELD, or_(elsewhere, idle),
               User.username.not_in(channels.USERNAMES))
        .order_by(Case.id).limit(limit))
    return [Hold(case_id=case.id, holder=username, device_id=case.holder_device,
                 reason=OTHER_DEVICE if on_other else IDLE, last_touched=case.updated_at,
                 assignment_version=case.assignment_version)
            for case, username, on_other in rows]
