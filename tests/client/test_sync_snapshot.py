"""The sync engine and a snapshot (issue 10), against a scripted server: a fresh store starts
from one, a pull answered ``cursor_ahead`` takes a fresh one that replaces the local view, an
older server without snapshots is pulled from the start, and an ack refused because the grant
belongs to another device does not block every later cycle."""

from __future__ import annotations

from pathlib import Path

from cati_app.client.api import ApiClient
from cati_app.client.store import LocalStore
from cati_app.core.clock import FixedClock
from tests.client.fake_server import Canned, FakeServer
from tests.client.sync_script import (
    ISO,
    attempt,
    held_cases,
    make_engine,
    queue_case,
    serve_happy_path,
)


def snapshot_of(cursor: str, *case_ids: int) -> Canned:
    return Canned(body={"cases": [queue_case(c, version=3) for c in case_ids],
                        "cursor": cursor, "server_time": ISO})


def pulls(fake: FakeServer) -> list[str]:
    return [s.path for s in fake.seen if s.path.startswith("/v1/sync/pull")]


def test_a_fresh_store_takes_the_snapshot_and_pulls_from_its_cursor(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    serve_happy_path(fake)
    fake.routes["/v1/sync/snapshot"] = snapshot_of("41", 7, 8)
    fake.routes["/v1/sync/pull"] = Canned(body={"changes": [], "next_cursor": "41",
                                                "has_more": False, "server_time": ISO})

    report = make_engine(store, api, clock, store_path, target=0).run_cycle()

    assert report.ok, report.errors
    snapshot = next(s for s in fake.seen if s.path == "/v1/sync/snapshot")
    assert snapshot.method == "POST" and snapshot.body == {"device_id": "dev-test"}
    assert pulls(fake) == ["/v1/sync/pull?cursor=41&limit=200"]
    assert sorted(c.case_id for c in store.queue(clock.now())) == [7, 8]
    # the next cycle pulls on; it does not take another snapshot
    make_engine(store, api, clock, store_path, target=0).run_cycle()
    assert [s.path for s in fake.seen].count("/v1/sync/snapshot") == 1


def test_cursor_ahead_takes_a_fresh_snapshot_that_replaces_the_local_view(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    held_cases(store, 1, 2)
    unsent = attempt(store, clock, 2)
    store.apply_changes([], "900")
    serve_happy_path(fake)
    # the push is answered without a result for the item: it stays in the outbox
    fake.routes["/v1/sync/push"] = Canned(body={"results": [], "server_time": ISO})
    fake.routes["/v1/sync/snapshot"] = snapshot_of("12", 1, 5)
    fake.routes["/v1/sync/pull"] = [
        Canned(409, {"error": "cursor_ahead", "detail": "take a fresh snapshot"}),
        Canned(body={"changes": [], "next_cursor": "12", "has_more": False,
                     "server_time": ISO})]

    report = make_engine(store, api, clock, store_path, target=0).run_cycle()

    assert report.ok, report.errors
    assert pulls(fake) == ["/v1/sync/pull?cursor=900&limit=200",
                           "/v1/sync/pull?cursor=12&limit=200"]
    assert store.cursor() == "12"
    assert sorted(c.case_id for c in store.queue(clock.now())) == [1, 5]
    assert store.get_case(1).assignment_version == 3  # the server's version, as restored
    assert store.get_case(2).state == "revoked"  # no longer ours on the restored server
    assert [i.item_uuid for i in store.outbox_batch(10, 1_000_000)] == [unsent]  # kept (G4)


def test_an_older_server_without_snapshots_is_pulled_from_the_start(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    serve_happy_path(fake)
    del fake.routes["/v1/sync/snapshot"]  # answered 404

    report = make_engine(store, api, clock, store_path, target=0).run_cycle()

    assert report.ok, report.errors
    assert pulls(fake) == ["/v1/sync/pull?cursor=0&limit=200"]


def test_an_ack_refused_for_another_devices_grant_is_not_sent_for_ever(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    serve_happy_path(fake, claimed=(4, 5))
    fake.routes["/v1/queue/ack"] = Canned(403, {"error": "forbidden",
                                               "detail": "this grant was given to device x"})
    engine = make_engine(store, api, clock, store_path, target=2)

    engine.run_cycle()
    second = engine.run_cycle()

    assert second.ok, second.errors
    assert [s.path for s in fake.seen].count("/v1/queue/ack") == 1
