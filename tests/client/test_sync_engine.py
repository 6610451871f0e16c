"""SyncEngine with the real LocalStore (a SQLite file) and the real ApiClient, talking HTTP to a
scripted protocol server on 127.0.0.1: the order of a cycle, batching within the hello limits,
retries that repeat the same uuids, and what happens on each kind of failure."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cati_app.client.api import ApiClient, AuthExpired
from cati_app.client.backoff import Backoff
from cati_app.client.store import LocalStore
from cati_app.client.sync import SyncReport, ack_file_for, next_sync_delay
from cati_app.core.clock import FixedClock
from tests.client.fake_server import Canned, FakeServer
from tests.client.helpers import TUESDAY_10AM
from tests.client.sync_script import (
    ISO,
    attempt,
    grant,
    held_cases,
    hello,
    make_engine,
    pushed_uuids,
    queue_case,
    serve_happy_path,
    store_everything,
)

# --- the order of a cycle -------------------------------------------------------------------

def test_a_cycle_runs_hello_push_pull_claim_ack_in_order(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    held_cases(store, 1)
    attempt(store, clock, 1)
    serve_happy_path(fake, claimed=(2, 3))
    stages: list[str] = []

    report = make_engine(store, api, clock, store_path).run_cycle(
        lambda stage, _done, _total: stages.append(stage))

    # a store that never pulled starts from a snapshot (issue 10), then pulls from its cursor
    assert fake.paths() == ["/v1/sync/hello", "/v1/sync/push", "/v1/sync/snapshot",
                            "/v1/sync/pull", "/v1/questionnaires/set/1", "/v1/queue/claim",
                            "/v1/queue/ack"]
    assert store.questionnaire("set", 1) is not None
    assert (report.ok, report.pushed, report.claimed, report.errors) == (True, 1, 2, [])
    assert store.pending_count() == 0
    assert fake.seen[5].body["max_cases"] == 2  # target 3, one case held already
    assert fake.seen[6].body == {"grant_id": "g", "case_ids": [2, 3]}
    assert {c.case_id for c in store.queue(clock.now())} >= {2, 3}
    assert stages[0] == "push" and "claim" in stages
    assert store.last_successful_sync() == clock.now()


def test_a_full_queue_claims_nothing(fake: FakeServer, store: LocalStore, api: ApiClient,
                                     clock: FixedClock, store_path: Path) -> None:
    held_cases(store, 1, 2, 3)
    serve_happy_path(fake)
    report = make_engine(store, api, clock, store_path, target=3).run_cycle()
    assert report.ok and "/v1/queue/claim" not in fake.paths()


def test_the_clock_offset_is_measured_from_the_middle_of_the_request(
        fake: FakeServer, store: LocalStore, api: ApiClient, store_path: Path) -> None:
    class TwoSecondRoundTrip(FixedClock):
        def now(self) -> datetime:  # every reading is two seconds after the last
            current = self.current
            self.current += timedelta(seconds=2)
            return current

    clock = TwoSecondRoundTrip(TUESDAY_10AM)
    serve_happy_path(fake)
    # the request leaves at 10:00:00 and its reply is read at 10:00:02 (local, UTC+0 here):
    # the server read its clock at local 10:00:01, and it said 10:05:01
    fake.routes["/v1/sync/hello"] = hello(server_time="2026-06-02T04:05:01Z")
    make_engine(store, api, clock, store_path, target=0).run_cycle()
    assert store.server_clock_offset() == pytest.approx(300.0)


# --- push: batches, retries, idempotency ------------------------------------------------------

def test_the_outbox_goes_in_batches_within_the_hello_limits(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    held_cases(store, 1, 2, 3, 4, 5)
    made = [attempt(store, clock, c) for c in (1, 2, 3, 4, 5)]
    serve_happy_path(fake)
    fake.routes["/v1/sync/hello"] = hello(max_items=2)

    report = make_engine(store, api, clock, store_path, target=0).run_cycle()

    batches = pushed_uuids(fake)
    assert [len(b) for b in batches] == [2, 2, 1]
    assert [u for b in batches for u in b] == made  # oldest first, each exactly once
    assert report.pushed == 5 and store.pending_count() == 0
    assert len({s.body["batch_uuid"] for s in fake.seen if s.path == "/v1/sync/push"}) == 3


def test_batches_respect_max_batch_bytes(fake: FakeServer, store: LocalStore, api: ApiClient,
                                         clock: FixedClock, store_path: Path) -> None:
    held_cases(store, 1, 2, 3, 4)
    for case_id in (1, 2, 3, 4):
        store.record_attempt(case_id, outcome="no_answer", phone_index=0, note="x" * 1500,
                             started_at=clock.now(), ended_at=clock.now())
    serve_happy_path(fake)
    fake.routes["/v1/sync/hello"] = hello(max_bytes=5000)

    make_engine(store, api, clock, store_path, target=0).run_cycle()

    sizes = [int(s.headers["Content-Length"]) for s in fake.seen if s.path == "/v1/sync/push"]
    assert len(sizes) >= 2 and all(size <= 5000 for size in sizes)
    assert store.pending_count() == 0


def test_a_lost_push_reply_sends_the_same_items_again(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    held_cases(store, 1)
    made = [attempt(store, clock, 1), attempt(store, clock, 1)]
    serve_happy_path(fake)
    fake.routes["/v1/sync/push"] = Canned(action="reset")
    engine = make_engine(store, api, clock, store_path, target=0)

    first = engine.run_cycle()
    assert not first.ok and "cannot reach" in first.errors[0]
    assert store.pending_count() == 2  # nothing lost

    fake.routes["/v1/sync/push"] = store_everything
    second = engine.run_cycle()
    assert second.ok and second.pushed == 2 and store.pending_count() == 0
    assert pushed_uuids(fake) == [made, made]


def test_retry_later_items_stay_and_the_loop_stops(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    held_cases(store, 1)
    attempt(store, clock, 1)
    serve_happy_path(fake)
    fake.routes["/v1/sync/push"] = lambda seen: Canned(body={"server_time": ISO, "results": [
        {"item_uuid": i["item_uuid"], "status": "retry_later", "detail": "busy"}
        for i in seen.body["items"]]})

    report = make_engine(store, api, clock, store_path, target=0).run_cycle()

    assert fake.paths().count("/v1/sync/push") == 1  # not spinning on the same item
    assert report.pushed == 0 and store.pending_count() == 1
    assert "/v1/sync/pull" in fake.paths()  # the rest of the cycle still ran


def test_rejected_items_leave_the_outbox_but_are_kept(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    held_cases(store, 1)
    attempt(store, clock, 1)
    serve_happy_path(fake)
    fake.routes["/v1/sync/push"] = lambda seen: Canned(body={"server_time": ISO, "results": [
        {"item_uuid": i["item_uuid"], "status": "rejected_invalid", "detail": "bad phone index"}
        for i in seen.body["items"]]})

    report = make_engine(store, api, clock, store_path, target=0).run_cycle()

    assert report.pushed == 1 and store.pending_count() == 0
    assert any("bad phone index" in e.message for e in store.sync_log())


# --- claim: a lost reply returns the same grant ---------------------------------------------

def test_a_lost_claim_reply_is_retried_with_the_same_request_uuid(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    serve_happy_path(fake)
    fake.routes["/v1/queue/claim"] = [Canned(action="reset"), grant("g7", 7)]

    first = make_engine(store, api, clock, store_path).run_cycle()
    assert not first.ok and store.active_case_count() == 0
    # a new engine (the app restarted) still knows the claim in flight
    second = make_engine(store, api, clock, store_path).run_cycle()

    claims = [s.body["request_uuid"] for s in fake.seen if s.path == "/v1/queue/claim"]
    assert len(claims) == 2 and claims[0] == claims[1]
    assert second.ok and second.claimed == 1 and store.active_case_count() == 1

    fake.routes["/v1/queue/claim"] = grant("g8")
    make_engine(store, api, clock, store_path, target=5).run_cycle()
    third = [s.body["request_uuid"] for s in fake.seen if s.path == "/v1/queue/claim"][-1]
    assert third != claims[0]  # a settled claim is never replayed


def test_a_failed_ack_is_sent_again_at_the_next_cycle(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    serve_happy_path(fake, claimed=(4, 5))
    fake.routes["/v1/queue/ack"] = [Canned(503, {"error": "retry_later", "detail": "busy"},
                                           {"Retry-After": "3"}), Canned(body={
                                               "acknowledged": [4, 5], "server_time": ISO})]
    engine = make_engine(store, api, clock, store_path, target=2)

    first = engine.run_cycle()
    assert not first.ok and first.retry_after == 3.0 and store.active_case_count() == 2
    second = engine.run_cycle()

    acks = [s.body for s in fake.seen if s.path == "/v1/queue/ack"]
    assert acks == [{"grant_id": "g", "case_ids": [4, 5]}] * 2
    assert second.ok and "/v1/queue/claim" not in fake.paths()[fake.paths().index(
        "/v1/queue/ack") + 1:]  # the queue is full: the retry only acks


# --- pull -----------------------------------------------------------------------------------

def test_pull_follows_pages_until_has_more_is_false(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    serve_happy_path(fake)
    pages = [
        Canned(body={"changes": [{"seq": 1, "type": "case_upsert", "case_id": 9,
                                  "assignment_version": 1, "body": queue_case(9)}],
                     "next_cursor": "1", "has_more": True, "server_time": ISO}),
        Canned(body={"changes": [{"seq": 2, "type": "case_revoked", "case_id": 9,
                                  "assignment_version": 2, "body": {"reason": "moved"}}],
                     "next_cursor": "2", "has_more": False, "server_time": ISO})]
    fake.routes["/v1/sync/pull"] = pages

    report = make_engine(store, api, clock, store_path, target=0).run_cycle()

    pulls = [s.path for s in fake.seen if s.path.startswith("/v1/sync/pull")]
    assert pulls == ["/v1/sync/pull?cursor=0&limit=200", "/v1/sync/pull?cursor=1&limit=200"]
    assert report.pulled == 2 and store.cursor() == "2"
    assert store.get_case(9).state == "revoked"


# --- failures -------------------------------------------------------------------------------

def test_a_401_propagates_and_keeps_the_local_work(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    held_cases(store, 1)
    attempt(store, clock, 1)
    serve_happy_path(fake)
    fake.routes["/v1/sync/push"] = Canned(401, {"error": "unauthorized",
                                                "detail": "log in again: token expired"})

    with pytest.raises(AuthExpired, match="token expired"):
        make_engine(store, api, clock, store_path).run_cycle()

    assert store.pending_count() == 1 and store.get_case(1).respondent_name == "Person 1"
    assert "log in again" in store.sync_log()[0].message


def test_a_server_error_is_reported_and_logged_not_raised(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    serve_happy_path(fake)
    fake.routes["/v1/sync/pull"] = Canned(500, {"error": "internal", "detail": "boom"})

    report = make_engine(store, api, clock, store_path).run_cycle()

    assert not report.ok and "HTTP 500" in report.errors[0]
    assert "/v1/queue/claim" not in fake.paths()  # the cycle stops at the first failure
    assert store.last_successful_sync() is None
    assert "HTTP 500" in store.sync_log()[0].message


def test_only_one_cycle_runs_at_a_time(fake: FakeServer, store: LocalStore, api: ApiClient,
                                       clock: FixedClock, store_path: Path) -> None:
    serve_happy_path(fake)
    fake.routes["/v1/sync/hello"] = Canned(body=hello().body, action="sleep", delay=1.0)
    engine = make_engine(store, api, clock, store_path, target=0)
    reports: list[SyncReport] = []
    worker = threading.Thread(target=lambda: reports.append(engine.run_cycle()))
    worker.start()
    deadline = time.monotonic() + 5
    while not fake.seen and time.monotonic() < deadline:
        time.sleep(0.01)

    second = engine.run_cycle()
    worker.join(timeout=10)

    assert second.skipped and not second.ok
    assert fake.paths().count("/v1/sync/hello") == 1
    assert reports[0].ok and not reports[0].skipped  # the worker thread's cycle ran whole


def test_a_damaged_ack_file_is_ignored(
        fake: FakeServer, store: LocalStore, api: ApiClient, clock: FixedClock,
        store_path: Path) -> None:
    ack_file_for(store_path).write_text("{not json")
    serve_happy_path(fake, claimed=(1,))
    report = make_engine(store, api, clock, store_path).run_cycle()
    assert report.ok and report.claimed == 1
    assert [s.body for s in fake.seen if s.path == "/v1/queue/ack"] == [
        {"grant_id": "g", "case_ids": [1]}]


def test_the_automatic_sync_backs_off_after_failures_and_resets_after_success() -> None:
    backoff = Backoff(base=5, cap=300, random=lambda: 1.0)
    failed = SyncReport(ok=False, errors=["down"])
    throttled = SyncReport(ok=False, errors=["slow down"], retry_after=120)
    assert [next_sync_delay(failed, backoff, 180) for _ in range(3)] == [5, 10, 20]
    assert next_sync_delay(throttled, backoff, 180) == 120  # 40 from backoff, server says 120
    assert next_sync_delay(SyncReport(ok=False, skipped=True), backoff, 180) == 180
    assert next_sync_delay(SyncReport(), backoff, 180) == 180
    assert next_sync_delay(failed, backoff, 180) == 5  # a success starts the backoff again
