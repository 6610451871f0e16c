"""Lost replies (issue 6): 1,000 interviews (400 in CI) pushed by the real SyncEngine through a
proxy that drops 30% of the push replies *after* the server committed them. The client cannot
tell a lost reply from a lost request, so it sends the batch again; the server must answer the
replay with ``duplicate`` and create nothing. End state: exactly that many interviews on the
server, none twice, the outbox empty, every item settled.

The proxy advertises 20 items per batch in hello (the server allows 200), so the 1,000 items
travel in ~50 batches and about 15 replies are lost, not one or two. That is the soak size
(``CATI_SOAK``); CI sends 400 interviews 10 to a batch: ~40 batches, about 12 replies lost."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.desk import Desk, finish_interviews
from tests.reliability.faultproxy import DROP_RESPONSE, FaultProxy, drop_responses
from tests.reliability.helpers import local_db, outbox_uuids
from tests.support.server_process import LiveServer, start_server
from tests.support.soak import scaled

INTERVIEWS = scaled(400, 1000)
BATCH = scaled(10, 20)
SEED = 6_030


def test_lost_push_replies_leave_exactly_one_copy_of_each_interview(
        tmp_path: Path, backend: str) -> None:
    with start_server(tmp_path, backend, cases=INTERVIEWS) as server, \
            FaultProxy(server.port, advertise={"max_items_per_batch": BATCH}) as proxy:
        desk = Desk(proxy.url, tmp_path / "karma.sqlite3", target_queue_size=INTERVIEWS)
        try:
            desk.claim_until(INTERVIEWS)
            made = set(finish_interviews(desk.store, desk.active_ids()))
            assert len(made) == INTERVIEWS
            proxy.policy = drop_responses(0.3, SEED)
            reports = desk.sync_until_settled(max_cycles=200)
        finally:
            desk.close()
        server.stop()  # nothing in flight while we count
        _check_server(server, made)

    pushes = proxy.seen("/v1/sync/push")
    lost = [e for e in pushes if e.fault == DROP_RESPONSE]
    assert all(e.status == 200 for e in lost), "a lost reply must be one the server committed"
    assert len(lost) >= 8, f"only {len(lost)} replies were dropped: the test proved little"
    assert max(e.items or 0 for e in pushes) <= BATCH
    assert sum(not r.ok for r in reports) == len(lost)
    with local_db(tmp_path / "karma.sqlite3") as db:
        assert outbox_uuids(db) == set()
        assert db.execute("SELECT count(*) FROM rejected").fetchone() == (0,)


def _check_server(server: LiveServer, made: set[str]) -> None:
    assert server.scalar("SELECT count(*) FROM interview_versions") == INTERVIEWS
    stored = {u for (u,) in server.rows("SELECT item_uuid FROM interview_versions")}
    assert stored == made
    assert server.scalar("SELECT count(*) FROM pushed_items") == INTERVIEWS
    assert server.rows("SELECT DISTINCT status FROM pushed_items") == [("stored",)]
    # each interview is also one contact attempt, and was audited once
    assert server.scalar("SELECT count(*) FROM contact_attempts") == INTERVIEWS
    assert server.scalar("SELECT count(*) FROM audit_log WHERE action = "
                         "'push.interview_version'") == INTERVIEWS
