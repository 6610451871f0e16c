"""Checks of the reliability tests, read straight from both databases, and feed injection.

The server side is the real uvicorn subprocess of tests/e2e/live.py; the client side is in
tests/reliability/desk.py.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, text

from cati_app.core.clock import SystemClock
from cati_app.core.protocol import ChangeType, ConflictNoticeBody
from cati_app.server.db import make_session_factory, transaction
from cati_app.server.feed import append_change
from tests.support.server_process import ENUMERATOR

#: the description of injected feed notices; the client logs it, which the checks look for
MARKER = "reliability marker"


# --- the server's side ---------------------------------------------------------------------

def user_id(engine: Engine, username: str = ENUMERATOR) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT id FROM users WHERE username = :u"),
                                {"u": username}).scalar_one())


def inject_notices(engine: Engine, uid: int, count: int, first: int) -> None:
    """``count`` conflict notices in the user's feed, numbered from ``first``: news the client
    must apply before its cursor may pass them."""
    at = SystemClock().now()
    with transaction(make_session_factory(engine)) as session:
        for n in range(first, first + count):
            append_change(session, user_id=uid, type=ChangeType.conflict_notice,
                          at=at, body=ConflictNoticeBody(conflict_id=n, kind="test",
                                                         description=f"{MARKER} {n}"))


def rows(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params)]


def pushed_uuids(engine: Engine) -> set[str]:
    return {str(u) for (u,) in rows(engine, "SELECT item_uuid FROM pushed_items")}


def stored_twice(engine: Engine) -> list[tuple]:
    """Item uuids with more than one data row: must never happen (G3)."""
    return [r for table in ("contact_attempts", "interview_versions") for r in rows(
        engine, f"SELECT item_uuid, count(*) FROM {table} GROUP BY item_uuid "
                "HAVING count(*) > 1")]


# --- the client's side ---------------------------------------------------------------------

def local_db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30)
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    return db


def outbox_uuids(db: sqlite3.Connection) -> set[str]:
    return {u for (u,) in db.execute("SELECT item_uuid FROM outbox")}


def applied_seq(db: sqlite3.Connection, key: str = "applied_seq") -> int:
    row = db.execute("SELECT value FROM meta WHERE key = :k", {"k": key}).fetchone()
    if row is None or row[0] is None:
        return 0
    # JSON text, which SQLite's numeric affinity may already have turned into a number
    value = row[0] if isinstance(row[0], int) else json.loads(row[0])
    return int(value or 0)


def unapplied_below_cursor(db: sqlite3.Connection, feed: list[tuple]) -> list[tuple]:
    """The server's changes at or below the client's cursor that the client does not show
    (G6). ``feed`` rows are (seq, type, body); only notice kinds with a visible trace are
    checked one by one: conflict notices end up in the sync log, questionnaire news in the
    questionnaires table. A store starts from a snapshot (issue 10): changes at or below the
    snapshot's cursor are in the snapshot, not applied one by one."""
    cursor = applied_seq(db)
    snapshot = applied_seq(db, "snapshot_seq")
    log = "\n".join(m for (m,) in db.execute("SELECT message FROM sync_log"))
    scripts = {(q, v) for q, v in db.execute("SELECT qid, version FROM questionnaires")}
    missing = []
    for seq, kind, body in feed:
        if seq > cursor or seq <= snapshot:
            continue
        data = body if isinstance(body, dict) else json.loads(body)
        if kind == ChangeType.conflict_notice.value and data["description"] not in log:
            missing.append((seq, kind, data))
        if kind == ChangeType.questionnaire_available.value and (
                data["questionnaire_id"], data["version"]) not in scripts:
            missing.append((seq, kind, data))
    return missing


def feed_of(engine: Engine, uid: int) -> list[tuple]:
    return rows(engine, "SELECT seq, type, body FROM feed_changes WHERE user_id = :u "
                "ORDER BY seq", u=uid)
