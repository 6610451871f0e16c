"""Client killed with SIGKILL at random points of its sync (issue 6; G1, G2, G3, G6).

A forked child runs the real SyncEngine against the real server (uvicorn subprocess, SQLite)
while saving calls and interviews; the parent kills it at a seeded random moment (during a
push, a pull, the applying of a page, a claim...), checks both databases, and starts it again.
After every kill:

- the local file passes ``PRAGMA integrity_check``;
- everything the child reported saved is on the server (once: the ledger is keyed on the
  uuid, and no data row exists twice) or still in the outbox;
- every change the server has for the user at or below the local cursor shows locally.

Between kills the server's feed grows by a few notices, so pulls have pages to apply. At the
end one clean run must settle everything. ``CATI_SOAK=<n>`` runs n kills (default soak 2,000).
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine

from cati_app.client.api import ApiClient
from tests.reliability.desk import DEVICE, Desk
from tests.reliability.helpers import (
    feed_of,
    inject_notices,
    local_db,
    outbox_uuids,
    pushed_uuids,
    stored_twice,
    unapplied_below_cursor,
    user_id,
)
from tests.reliability.kill_child import churn
from tests.support.constants import PASSWORD
from tests.support.server_process import ENUMERATOR, start_server
from tests.support.soak import kills

SEED = 6_0402
NOTICES_PER_KILL = 12
MAX_LIFE = 0.6  # seconds a child may live before its kill


def _kills() -> int:
    return kills(200, 2000)


def _run_and_kill(db_path: Path, base_url: str, token: str, seed: int, life: float
                  ) -> list[str]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never comes back
        os.close(read_end)
        churn(db_path, base_url, token, seed, write_end)
    os.close(write_end)
    time.sleep(life)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    lines = b"".join(chunks).decode().splitlines()
    errors = [line for line in lines if line.startswith("error ")]
    assert not errors, errors[0].replace(" | ", "\n")
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, lines[-3:]
    return lines


def _check(db_path: Path, engine: Engine, uid: int, reported: set[str]) -> None:
    with local_db(db_path) as db:  # integrity_check inside
        pending = outbox_uuids(db)
        feed = feed_of(engine, uid)
        missing = unapplied_below_cursor(db, feed)
    db.close()
    on_server = pushed_uuids(engine)
    lost = reported - on_server - pending
    assert not lost, f"saved, then neither on the server nor pending: {sorted(lost)[:5]}"
    assert not stored_twice(engine)
    assert not missing, f"the cursor passed changes never applied: {missing[:3]}"


def test_client_killed_anywhere_in_sync_loses_nothing_and_doubles_nothing(
        tmp_path: Path) -> None:
    db_path = tmp_path / "karma.sqlite3"
    rng = random.Random(SEED)
    reported: set[str] = set()
    phases: Counter[str] = Counter()
    kills = _kills()
    with start_server(tmp_path, "sqlite", cases=max(400, kills * 2)) as server, \
            server.database() as engine:
        api = ApiClient(server.base_url)
        token = api.login(ENUMERATOR, PASSWORD, DEVICE).access_token
        api.close()
        uid = user_id(engine)
        for kill in range(kills):
            inject_notices(engine, uid, NOTICES_PER_KILL, kill * NOTICES_PER_KILL)
            engine.dispose()  # no pooled server connection may be shared with the child
            lines = _run_and_kill(db_path, server.base_url, token, SEED + kill,
                                  rng.uniform(0.0, MAX_LIFE))
            reported |= {line.split()[1] for line in lines if line.startswith("made ")}
            phases[next((line[6:] for line in reversed(lines) if line.startswith("phase ")),
                        "before start")] += 1
            _check(db_path, engine, uid, reported)

        desk = Desk(server.base_url, db_path, token=token, target_queue_size=0)
        try:
            desk.sync_until_settled(max_cycles=20)
        finally:
            desk.close()
        _check(db_path, engine, uid, reported)
        assert reported <= pushed_uuids(engine)

    print(f"\n{kills} kills; {len(reported)} items saved; kill landed in: {dict(phases)}")
    assert len(reported) > kills // 4, "the child did little work between kills"
    for step in ("push", "apply page", "pull", "save work"):
        assert phases[step] >= kills // 50, f"too few kills during {step!r}: {dict(phases)}"
