"""Server killed (SIGKILL of the uvicorn process) during a 100-item push (issue 6; G2, G3).

Each batch holds call attempts, complete interviews and case releases; two of its interviews
are for cases a supervisor reassigned meanwhile, so they are stale completions that raise a
conflict and write to the enumerator's feed. The server is killed at a spread of moments after
the batch went out; then every item must be fully present (ledger, data rows, audit row, feed
change) or fully absent — the batch is one transaction — and the user's feed numbering must
have no hole. After a restart on the same database the client's ordinary retries must bring
every item in exactly once.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from sqlalchemy import Engine

from cati_app.client.sync import SyncReport
from cati_app.core.clock import SystemClock
from cati_app.server.db import make_session_factory, transaction
from cati_app.server.services.cases.supervision import Actor, assign_cases
from tests.reliability.desk import Desk, finish_interviews
from tests.reliability.helpers import (
    pushed_uuids,
    rows,
    stored_twice,
    user_id,
)
from tests.support.server_process import OTHER_ENUMERATOR, SUPERVISOR, LiveServer, start_server
from tests.support.soak import scaled

WORKED, RELEASED = 18, 10  # 18 × (4 attempts + 1 interview) + 10 releases = 100 items
STALE = 2  # of the worked cases, reassigned on the server before the push
#: when the kill comes, as a fraction of a normal batch's duration: early, mid-batch and after
#: the commit in CI; a finer spread in a soak run
FRACTIONS = scaled((0.1, 0.5, 1.3), (0.1, 0.3, 0.5, 0.7, 0.9, 1.3))


def test_server_killed_mid_batch_keeps_items_whole_and_retries_converge(
        tmp_path: Path, backend: str) -> None:
    per_round = WORKED + RELEASED
    with start_server(tmp_path, backend, cases=per_round * (len(FRACTIONS) + 1)) as server, \
            server.database() as engine:
        desk = Desk(server.base_url, tmp_path / "karma.sqlite3", target_queue_size=200)
        try:
            desk.claim_until(per_round * (len(FRACTIONS) + 1))
            desk.engine.target_queue_size = 0  # no more claims: the rounds own their cases
            ids = desk.active_ids()
            baseline = _push_round(desk, server, engine, ids[:per_round], kill_after=None)
            outcomes = []
            for n, fraction in enumerate(FRACTIONS, start=1):
                chunk = ids[n * per_round:(n + 1) * per_round]
                outcomes.append(_push_round(desk, server, engine, chunk,
                                            kill_after=baseline * fraction))
        finally:
            desk.close()
    print(f"\n{backend}: a 100-item batch took {baseline:.2f}s; after each kill the batch "
          f"was {outcomes}")


def _push_round(desk: Desk, server: LiveServer, engine: Engine, case_ids: list[int], *,
                kill_after: float | None) -> float | str:
    finish_interviews(desk.store, case_ids[:WORKED], attempts_each=4)
    for case_id in case_ids[WORKED:]:
        desk.store.release_case(case_id, "reliability test")
    items = {i.item_uuid: (i.kind, i.case_id) for i in desk.store.outbox_batch(1000, 1 << 30)}
    assert len(items) == 100
    _reassign(engine, case_ids[:STALE])
    started = threading.Event()
    push = desk.api.push

    def traced_push(request):  # type: ignore[no-untyped-def]
        started.set()
        return push(request)

    desk.api.push = traced_push  # type: ignore[method-assign]
    reports: list[SyncReport] = []
    cycle = threading.Thread(target=lambda: reports.append(desk.engine.run_cycle()))
    began = time.monotonic()
    cycle.start()
    assert started.wait(30), "the engine never pushed"
    if kill_after is None:
        cycle.join(60)
        assert reports and reports[0].ok, reports
        _assert_whole(engine, items, case_ids[:STALE], expect=True)
        return time.monotonic() - began
    time.sleep(kill_after)
    assert server.process is not None
    server.process.kill()  # SIGKILL: no shutdown, no flush, mid-transaction
    server.process.wait(10)
    server.process = None
    cycle.join(60)
    present = _assert_whole(engine, items, case_ids[:STALE], expect=None)
    server.start()
    desk.sync_until_settled(max_cycles=10)
    _assert_whole(engine, items, case_ids[:STALE], expect=True)
    assert not stored_twice(engine)
    return "committed" if present else "rolled back"


def _reassign(engine: Engine, case_ids: list[int]) -> None:
    """A supervisor gives these cases to another enumerator while ours still works on them."""
    with transaction(make_session_factory(engine)) as session:
        supervisor = user_id(engine, SUPERVISOR)
        actor = Actor(user_id=supervisor, device_id="supervisor-desk", at=SystemClock().now())
        results = assign_cases(session, actor, case_ids, OTHER_ENUMERATOR, force=True,
                               reason="reliability: reassigned while offline")
    assert {r.result for r in results} == {"assigned"}, results


def _assert_whole(engine: Engine, items: dict[str, tuple[str, int]], stale_cases: list[int],
                  expect: bool | None) -> bool:
    """Every item all there or not at all, the batch as one; returns whether it is there."""
    engine.dispose()
    uid = user_id(engine)
    ledger = pushed_uuids(engine)
    attempts = {str(u) for (u,) in rows(engine, "SELECT item_uuid FROM contact_attempts")}
    released = {c for (c,) in rows(engine, "SELECT case_id FROM assignments WHERE end_reason "
                                           "LIKE 'released by the enumerator%'")}
    audited = {(json.loads(d) if isinstance(d, str) else d)["item_uuid"]
               for (d,) in rows(engine, "SELECT details FROM audit_log WHERE action LIKE "
                                        "'push.%'")}
    noticed = {c for (c,) in rows(engine, "SELECT case_id FROM feed_changes WHERE user_id = :u "
                                          "AND type = 'conflict_notice'", u=uid)}
    states = set()
    for item, (kind, case_id) in items.items():
        data = case_id in released if kind == "case_release" else item in attempts
        trace = [item in ledger, data, item in audited]
        if kind == "interview_version" and case_id in stale_cases:
            trace.append(case_id in noticed)
        assert len(set(trace)) == 1, f"{kind} {item} half there (ledger, data, audit, feed): " \
                                     f"{trace}"
        states.add(trace[0])
    assert len(states) == 1, "part of one batch (one transaction) is there, part is not"
    (seq,) = rows(engine, "SELECT feed_seq FROM users WHERE id = :u", u=uid)[0]
    assert rows(engine, "SELECT count(*), coalesce(max(seq), 0) FROM feed_changes "
                        "WHERE user_id = :u", u=uid)[0] == (seq, seq), "a hole in the feed"
    present = states.pop()
    assert expect is None or present == expect
    return present
