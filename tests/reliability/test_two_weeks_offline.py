"""Two weeks offline (issue 6): an enumerator comes back with a full outbox and a long feed to
pull; the server dies half-way through the upload and comes back. The client (a process of its
own, so its peak RSS is measured) must finish, never send a request over the limits hello
advertised (checked at the proxy, which advertises tighter limits than the server's so that
both the item and the byte limit bind), and keep its memory bounded.

CI size: 1,000 pending items and 200 changes; ``CATI_SOAK`` runs 10,000 and 2,000."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from tests.reliability.desk import Desk, finish_interviews
from tests.reliability.faultproxy import PASS, FaultProxy
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
from tests.support.constants import ROOT
from tests.support.server_process import LiveServer, start_server
from tests.support.soak import scaled

ITEMS = scaled(1_000, 10_000)
CHANGES = scaled(200, 2_000)
PER_CASE = 5  # 4 attempts and an interview
LIMITS = {"max_items_per_batch": 100, "max_batch_bytes": 30_000}
#: the client's peak resident memory may not exceed this (MiB), whatever the backlog
PEAK_MIB = 250.0
GROWTH_MIB = 80.0


def test_two_weeks_offline_finishes_within_limits_and_bounded_memory(tmp_path: Path) -> None:
    db_path = tmp_path / "karma.sqlite3"
    with start_server(tmp_path, "sqlite", cases=ITEMS // PER_CASE) as server, \
            server.database() as engine, \
            FaultProxy(server.port, advertise=LIMITS) as proxy:
        made, token = _two_weeks_of_work(server, engine, db_path)
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.offline_child", str(db_path), proxy.url],
            cwd=ROOT, env={**os.environ, "CATI_TEST_TOKEN": token, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        _kill_server_half_way(server, proxy)
        out, err = child.communicate(timeout=600)
        assert child.returncode == 0, err[-3000:]
        figures = json.loads(out.strip().splitlines()[-1])
        server.stop()
        assert made <= pushed_uuids(engine) and not stored_twice(engine)
        with local_db(db_path) as db:
            assert outbox_uuids(db) == set()
            assert unapplied_below_cursor(db, feed_of(engine, user_id(engine))) == []
        db.close()

    pushes = proxy.seen("/v1/sync/push")
    print(f"\n{ITEMS} items, {CHANGES} changes: {figures}; {len(pushes)} pushes, largest "
          f"{max(e.body_bytes for e in pushes)} bytes / {max(e.items or 0 for e in pushes)} "
          "items")
    assert figures["failed"] >= 1, "the interruption never reached the client"
    assert all(e.items is not None and 0 < e.items <= LIMITS["max_items_per_batch"]
               for e in pushes)
    assert all(e.body_bytes <= LIMITS["max_batch_bytes"] for e in pushes)
    assert figures["pulled"] >= CHANGES
    assert figures["peak_mib"] < PEAK_MIB
    assert figures["peak_mib"] - figures["baseline_mib"] < GROWTH_MIB


def _two_weeks_of_work(server: LiveServer, engine: Engine, db_path: Path
                       ) -> tuple[set[str], str]:
    """Claim every case, work them all offline, and let the feed grow meanwhile."""
    desk = Desk(server.base_url, db_path, target_queue_size=ITEMS // PER_CASE)
    try:
        desk.claim_until(ITEMS // PER_CASE)
        made = set(finish_interviews(desk.store, desk.active_ids(), attempts_each=PER_CASE - 1))
        token = str(desk.api.token)
    finally:
        desk.close()
    assert len(made) == ITEMS
    inject_notices(engine, user_id(engine), CHANGES, first=0)
    return made, token


def _kill_server_half_way(server: LiveServer, proxy: FaultProxy) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        delivered = sum(e.items or 0 for e in proxy.seen("/v1/sync/push")
                        if e.fault == PASS and e.status == 200)
        if delivered >= ITEMS // 2:
            break
        time.sleep(0.02)
    else:
        raise AssertionError("the client never got half-way")
    assert server.process is not None
    server.process.kill()
    server.process.wait(10)
    server.process = None
    time.sleep(1.5)  # the client meets a dead server for a while
    server.start()
