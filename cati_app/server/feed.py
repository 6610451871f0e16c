"""The per-user change feed (``GET /v1/sync/pull``).

Each user's feed is numbered densely by ``users.feed_seq``, bumped with a row-locking UPDATE in
the writer's transaction. Two transactions writing to one user's feed therefore serialise on
that row, and commit in sequence order: a reader can never see seq N+1 committed while N is
still in flight, so a cursor handed out never passes a later commit (guarantee G6). The lock is
held only by writers to that one user's feed, so different enumerators never wait on each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from cati_app.core.protocol import (
    CHANGE,
    CaseRevoked,
    CaseRevokedBody,
    Change,
    ChangeType,
    FeedBody,
)
from cati_app.server.models import Case, FeedChange, User

#: entries whose body holds the case's contact details or a respondent's answers
_PERSONAL = (ChangeType.case_upsert.value, ChangeType.interview_rejected.value)
MOVED_ON = "this case is no longer yours on this device"


def append_change(session: Session, *, user_id: int, type: ChangeType, at: datetime,
                  body: FeedBody, case_id: int | None = None,
                  assignment_version: int | None = None) -> int:
    seq = session.execute(
        update(User).where(User.id == user_id).values(feed_seq=User.feed_seq + 1)
        .returning(User.feed_seq).execution_options(synchronize_session=False)
    ).scalar_one()
    session.add(FeedChange(user_id=user_id, seq=seq, type=type.value, case_id=case_id,
                           assignment_version=assignment_version,
                           body=body.model_dump(mode="json"), created_at=at))
    return seq


def append_changes(session: Session, *, user_id: int, type: ChangeType, at: datetime,
                   entries: list[tuple[int | None, int | None, FeedBody]]) -> None:
    """``append_change`` for many entries of one type: one row-locking UPDATE takes all their
    numbers, one INSERT writes them. ``entries``: (case_id, assignment_version, body)."""
    if not entries:
        return
    end = session.execute(
        update(User).where(User.id == user_id).values(feed_seq=User.feed_seq + len(entries))
        .returning(User.feed_seq).execution_options(synchronize_session=False)
    ).scalar_one()
    first = end - len(entries) + 1
    session.execute(insert(FeedChange), [
        dict(user_id=user_id, seq=first + i, type=type.value, case_id=case_id,
             assignment_version=version, body=body.model_dump(mode="json"), created_at=at)
        for i, (case_id, version, body) in enumerate(entries)])


def lock_feeds(session: Session, user_ids: Iterable[int | None]) -> None:
    """Take the feed locks of several users at once, in id order. A transaction that writes
    to two feeds (a reassignment: the old and the new holder) would otherwise lock them in
    whatever order it meets them, and two reassignments in opposite directions deadlock."""
    wanted = sorted({u for u in user_ids if u is not None})
    if wanted:
        session.execute(select(User.id).where(User.id.in_(wanted)).order_by(User.id)
                        .with_for_update())


def changes_after(session: Session, user_id: int, cursor: int, limit: int
                  ) -> tuple[list[FeedChange], bool]:
    rows = session.scalars(
        select(FeedChange)
        .where(FeedChange.user_id == user_id, FeedChange.seq > cursor)
        .order_by(FeedChange.seq)
        .limit(limit + 1)
    ).all()
    return list(rows[:limit]), len(rows) > limit


def feed_end(session: Session, user_id: int) -> int:
    """The last sequence number of the user's feed (0 for an empty feed)."""
    return session.scalar(select(User.feed_seq).where(User.id == user_id)) or 0


def read_feed(session: Session, user_id: int, device_id: str, cursor: int, limit: int
              ) -> tuple[list[Change], bool]:
    """A page of the feed as this device may see it. An entry carrying a case's contact
    details (or answers) whose case has since left this user and device is delivered as a
    ``case_revoked`` at the entry's version, without its body (issue 11): a former holder's
    old entries stop revealing names and numbers once the case moved on, and a device that
    applies it learns only that the case is not its own (old news if it holds a newer
    version)."""
    rows, has_more = changes_after(session, user_id, cursor, limit)
    ids = {r.case_id for r in rows if r.type in _PERSONAL and r.case_id is not None}
    cases: dict[int | None, Case] = {
        c.id: c for c in session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    changes: list[Change] = []
    for row in rows:
        case = cases.get(row.case_id) if row.type in _PERSONAL else None
        if row.type in _PERSONAL and (case is None or not case.held_on(user_id, device_id)):
            changes.append(CaseRevoked(seq=row.seq, case_id=row.case_id,
                                       assignment_version=row.assignment_version,
                                       body=CaseRevokedBody(reason=MOVED_ON)))
            continue
        # every body was written from its model (append_change), so it reads back as one
        changes.append(CHANGE.validate_python({
            "seq": row.seq, "type": row.type, "case_id": row.case_id,
            "assignment_version": row.assignment_version, "body": row.body}))
    return changes, has_more
