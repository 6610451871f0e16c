"""The scripted protocol server's answers for the SyncEngine tests (test_sync_engine.py,
test_sync_snapshot.py), which run against the ``fake`` server, ``store`` and ``api`` of
tests/client/conftest.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cati_app.client.api import ApiClient
from cati_app.client.store import LocalStore
from cati_app.client.sync import SyncEngine, ack_file_for
from cati_app.core.clock import FixedClock
from cati_app.core.protocol import QueueCase
from cati_app.core.resources import resource
from tests.client.fake_server import Canned, FakeServer, Seen

ISO = "2026-06-02T04:00:00Z"
DEVICE = "dev-test"
DEFAULT_SCRIPT = json.loads(resource("questionnaires", "set_default.json").read_text("utf-8"))


def make_engine(store: LocalStore, api: ApiClient, clock: FixedClock, db_path: Path,
                target: int = 3) -> SyncEngine:
    return SyncEngine(store, api, clock, device_id=DEVICE, target_queue_size=target,
                      ack_file=ack_file_for(db_path))


def queue_case(case_id: int, version: int = 1) -> dict[str, Any]:
    return {"case_id": case_id, "assignment_version": version, "service_code": "CID",
            "service_name": "New CID card", "questionnaire_id": "set",
            "questionnaire_version": 1, "priority": 50, "respondent_name": f"Person {case_id}",
            "phones": ["+97517100001", "+97577100002"], "language": "en"}


def hello(max_items: int = 200, max_bytes: int = 1_000_000, server_time: str = ISO) -> Canned:
    return Canned(body={"server_time": server_time, "api_version": "1",
                        "min_client_version": "0.1.0", "max_items_per_batch": max_items,
                        "max_batch_bytes": max_bytes})


def store_everything(seen: Seen) -> Canned:
    results = [{"item_uuid": i["item_uuid"], "status": "stored", "detail": ""}
               for i in seen.body["items"]]
    return Canned(body={"results": results, "server_time": ISO})


def empty_pull() -> Canned:
    return Canned(body={"changes": [], "next_cursor": "0", "has_more": False,
                        "server_time": ISO})


def grant(grant_id: str, *case_ids: int) -> Canned:
    return Canned(body={"grant_id": grant_id, "server_time": ISO,
                        "cases": [queue_case(c) for c in case_ids]})


def ack_all(seen: Seen) -> Canned:
    return Canned(body={"acknowledged": seen.body["case_ids"], "server_time": ISO})


def empty_snapshot() -> Canned:
    return Canned(body={"cases": [], "cursor": "0", "server_time": ISO})


def serve_happy_path(fake: FakeServer, *, claimed: tuple[int, ...] = ()) -> None:
    fake.routes.update({"/v1/sync/hello": hello(), "/v1/sync/push": store_everything,
                        "/v1/sync/snapshot": empty_snapshot(),
                        "/v1/sync/pull": empty_pull(), "/v1/queue/claim": grant("g", *claimed),
                        "/v1/queue/ack": ack_all,
                        "/v1/questionnaires/set/1": Canned(body=DEFAULT_SCRIPT)})


def held_cases(store: LocalStore, *case_ids: int) -> None:
    store.store_claim("g0", [QueueCase.model_validate(queue_case(c)) for c in case_ids])


def attempt(store: LocalStore, clock: FixedClock, case_id: int) -> str:
    return store.record_attempt(case_id, outcome="no_answer", phone_index=0,
                                started_at=clock.now(), ended_at=clock.now())


def pushed_uuids(fake: FakeServer) -> list[list[str]]:
    return [[i["item_uuid"] for i in s.body["items"]] for s in fake.seen
            if s.path == "/v1/sync/push"]
