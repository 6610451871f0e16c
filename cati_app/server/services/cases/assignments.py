"""Who holds a case (guarantee G5). Every change of holder goes through here: it bumps the
fencing token ``assignment_version``, keeps the history in ``assignments``, tells the old and
new holders through their feeds and writes the audit row, all in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cati_app.core.protocol import CaseRevokedBody, ChangeType
from cati_app.server.audit import audit
from cati_app.server.feed import append_change
from cati_app.server.models import Assignment, AuditEntry, Case, CaseState
from cati_app.server.models.base import table_of

#: the parameters of one hold's end (see end_holds_now)
HoldEnd = dict[str, object]


@dataclass
class DeferredWrites:
    """Rows a set-wise caller (a bulk push, a hand-over of a whole queue) collects while it
    moves many cases, to write them with one statement each (write_deferred) instead of one
    per case: the ends of holds and the audit entries of revokes, in the order made."""

    hold_ends: list[HoldEnd] = field(default_factory=list)
    audit: list[dict[str, object]] = field(default_factory=list)


def write_deferred(session: Session, deferred: DeferredWrites) -> None:
    if deferred.audit:
        session.connection().execute(insert(table_of(AuditEntry)), deferred.audit)
    end_holds_now(session, deferred.hold_ends)

#: end reasons of a hold its holder gave up or never took: written here by the release and the
#: delivery timeout, read back from the history by the stale-completion rules (push_common)
RELEASED = "released by the enumerator"
NEVER_ACKNOWLEDGED = "the device never confirmed it received the case"


def _end_current_hold(session: Session, case: Case, at: datetime, reason: str,
                      deferred: DeferredWrites | None) -> None:
    """End the hold now, or, when the caller defers writes, add it for write_deferred."""
    params: HoldEnd = {"b_case": case.id, "b_version": case.assignment_version, "b_at": at,
                       "b_reason": reason[:200]}
    if deferred is not None:
        deferred.hold_ends.append(params)
        return
    end_holds_now(session, [params])


def end_holds_now(session: Session, holds: list[HoldEnd]) -> None:
    # Core, not ORM, update: no Assignment object is read back in the same transaction, and
    # the ORM's bulk-update bookkeeping costs more than the statement on the push path.
    if not holds:
        return
    if any(isinstance(obj, Assignment) for obj in session.new):
        session.flush()  # a hold granted earlier in this transaction must be visible to SQL
    table = table_of(Assignment)
    session.connection().execute(
        update(table)
        .where(table.c.case_id == bindparam("b_case"),
               table.c.version == bindparam("b_version"), table.c.ended_at.is_(None))
        .values(ended_at=bindparam("b_at"), end_reason=bindparam("b_reason")),
        holds)


def revoke_holder(session: Session, case: Case, *, at: datetime, reason: str,
                  by: int | None, device_id: str = "",
                  deferred: DeferredWrites | None = None) -> None:
    """Take the case away from its holder (if any) and tell them, unless the holder is the
    one ending the hold (closing the case by their own final outcome: their device knows);
    bumps the version."""
    old_holder = case.holder_id
    _end_current_hold(session, case, at, reason, deferred)
    case.assignment_version += 1
    case.holder_id = None
    case.holder_device = None
    case.grant_id = None
    case.delivery_deadline = None
    case.updated_at = at
    if old_holder is not None and old_holder != by:
        append_change(session, user_id=old_holder, type=ChangeType.case_revoked, at=at,
                      case_id=case.id, assignment_version=case.assignment_version,
                      body=CaseRevokedBody(reason=reason))
    details = {"from_user": old_holder, "reason": reason,
               "assignment_version": case.assignment_version}
    if deferred is not None:
        deferred.audit.append(dict(at=at, user_id=by, device_id=device_id,
                                   action="case.revoke", entity="case",
                                   entity_id=str(case.id), details=details))
    else:
        audit(session, at=at, user_id=by, device_id=device_id, action="case.revoke",
              entity="case", entity_id=case.id, details=details)


def return_to_pool(session: Session, case: Case, *, at: datetime, reason: str,
                   by: int | None, device_id: str = "") -> None:
    revoke_holder(session, case, at=at, reason=reason, by=by, device_id=device_id)
    if case.state == CaseState.HELD:
        case.state = CaseState.QUEUED


def grant(session: Session, case: Case, *, user_id: int, at: datetime, by: int | None,
          device_id: str | None = None, grant_id: str | None = None,
          delivery_deadline: datetime | None = None, reason: str = "claim") -> None:
    """Give a case to an enumerator. Callers revoke any current holder first."""
    assert case.holder_id is None, "revoke the current holder before granting"
    case.assignment_version += 1
    case.holder_id = user_id
    case.holder_device = device_id
    case.grant_id = grant_id
    case.delivery_deadline = delivery_deadline
    case.state = CaseState.HELD
    case.updated_at = at
    session.add(Assignment(case_id=case.id, version=case.assignment_version, user_id=user_id,
                           device_id=device_id, grant_id=grant_id, started_at=at))
    audit(session, at=at, user_id=by, device_id=device_id or "", action="case.grant",
          entity="case", entity_id=case.id,
          details={"to_user": user_id, "reason": reason,
                   "assignment_version": case.assignment_version})


def grant_claimed(session: Session, cases: Sequence[Case], *, user_id: int, at: datetime,
                  device_id: str, grant_id: str, delivery_deadline: datetime) -> None:
    """``grant`` for the queued cases of one claim at once: one UPDATE of the cases, one
    INSERT of their history and one of their audit rows, instead of an ORM flush of each (the
    largest part of a claim's time). The loaded ``cases`` are brought up to date in place."""
    if not cases:
        return
    assert all(c.holder_id is None for c in cases), "only queued cases are claimed"
    held: dict[str, object] = dict(holder_id=user_id, holder_device=device_id, grant_id=grant_id,
                delivery_deadline=delivery_deadline, state=CaseState.HELD, updated_at=at)
    cases_table, history, audit_log = (cast(Table, m.__table__)
                                       for m in (Case, Assignment, AuditEntry))
    session.execute(update(cases_table)
                    .where(cases_table.c.id.in_([c.id for c in cases]))
                    .values(assignment_version=cases_table.c.assignment_version + 1, **held))
    for case in cases:
        set_committed_value(case, "assignment_version", case.assignment_version + 1)
        for key, value in held.items():
            set_committed_value(case, key, value)
    session.execute(insert(history), [
        dict(case_id=c.id, version=c.assignment_version, user_id=user_id, device_id=device_id,
             grant_id=grant_id, started_at=at, end_reason="") for c in cases])
    session.execute(insert(audit_log), [
        dict(at=at, user_id=user_id, device_id=device_id, action="case.grant", entity="case",
             entity_id=str(c.id), details={"to_user": user_id, "reason": "claim",
                                           "assignment_version": c.assignment_version})
        for c in cases])


def held_version_by(session: Session, case_id: int, version: int) -> int | None:
    """The user who held ``version`` of the case, if anyone ever did."""
    return session.scalar(select(Assignment.user_id).where(
        Assignment.case_id == case_id, Assignment.version == version))


def ever_held_by(session: Session, case_id: int, user_id: int) -> bool:
    return session.scalar(select(Assignment.id).where(
        Assignment.case_id == case_id, Assignment.user_id == user_id).limit(1)) is not None
