"""The fault proxy against the real server: each fault does what it says to the real client
(so the scenario tests can trust it), and a seeded mix of all of them, under the real
SyncEngine, still ends with every item on the server once and every change applied."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cati_app.client.api import ApiClient, ServerUnavailable
from cati_app.core.protocol import ItemKind, PushItem, PushRequest
from tests.reliability.desk import DEVICE, ENUMERATOR, PASSWORD, Desk, finish_interviews
from tests.reliability.faultproxy import (
    DROP_RESPONSE,
    PASS,
    REFUSE,
    RESET_MID_BODY,
    Fault,
    FaultProxy,
    chaos,
)
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
from tests.support.server_process import LiveServer, running_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("server"), "sqlite", cases=150) as live:
        yield live


def _release_request() -> PushRequest:
    # an item for a case nobody holds: the server answers (quarantine) and commits a ledger row
    return PushRequest(device_id=DEVICE, batch_uuid=uuid.uuid4(), items=[PushItem(
        item_uuid=uuid.uuid4(), kind=ItemKind.case_release, case_id=10**9,
        assignment_version=1, payload={"reason": "proxy test"})])


@pytest.mark.parametrize("kind, reaches_server", [
    (REFUSE, False), (DROP_RESPONSE, True), (RESET_MID_BODY, True)])
def test_each_fault_fails_the_request_as_the_client_expects(
        server: LiveServer, kind: str, reaches_server: bool) -> None:
    with FaultProxy(server.port, policy=lambda _r: Fault(kind)) as proxy:
        api = ApiClient(server.base_url)
        api.login(ENUMERATOR, PASSWORD, DEVICE)
        api.base_url = proxy.url
        request = _release_request()
        with pytest.raises(ServerUnavailable):
            api.push(request)
        api.close()
    with server.database() as engine:
        assert (str(request.items[0].item_uuid) in pushed_uuids(engine)) is reaches_server
    assert [e.fault for e in proxy.seen("/v1/sync/push")] == [kind]


def test_latency_and_slow_bandwidth_delay_the_reply_but_deliver_it_whole(
        server: LiveServer) -> None:
    rate = 2_000.0  # bytes a second
    with FaultProxy(server.port, policy=lambda r: Fault(
            PASS, delay=0.3 if "hello" in r.path else 0.0,
            bytes_per_second=rate if "claim" in r.path else None)) as proxy:
        api = ApiClient(proxy.url)
        api.login(ENUMERATOR, PASSWORD, DEVICE)
        began = time.monotonic()
        api.hello()
        assert time.monotonic() - began >= 0.3
        began = time.monotonic()
        grant = api.claim(str(uuid.uuid4()), DEVICE, 3)
        took = time.monotonic() - began
        api.close()
    assert len(grant.cases) == 3  # parsed whole, so nothing was cut
    assert took >= 0.8 * len(grant.model_dump_json()) / rate


def test_the_sync_engine_converges_through_a_mix_of_every_fault(
        server: LiveServer, tmp_path: Path) -> None:
    db_path = tmp_path / "karma.sqlite3"
    with FaultProxy(server.port, advertise={"max_items_per_batch": 10}) as proxy, \
            server.database() as engine:
        desk = Desk(proxy.url, db_path, target_queue_size=60)
        try:
            desk.claim_until(60)
            made = set(finish_interviews(desk.store, desk.active_ids(), attempts_each=2))
            inject_notices(engine, user_id(engine), 100, first=10_000)
            proxy.policy = chaos(seed=6_0601, refuse=0.1, drop=0.15, reset=0.1, slow=0.1)
            desk.sync_until_settled(max_cycles=300)
            desk.engine.run_cycle()  # and pull what came in meanwhile, still under faults
        finally:
            desk.close()
        assert made <= pushed_uuids(engine) and not stored_twice(engine)
        with local_db(db_path) as db:
            assert outbox_uuids(db) == set()
            assert unapplied_below_cursor(db, feed_of(engine, user_id(engine))) == []
        db.close()
    faults = {e.fault for e in proxy.exchanges}
    assert faults >= {PASS, REFUSE, DROP_RESPONSE, RESET_MID_BODY}
