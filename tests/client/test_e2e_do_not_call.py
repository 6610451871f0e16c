"""End to end (issue 15): the real server on a loopback port (SQLite and, with
CATI_TEST_PG_URL, PostgreSQL), the real ApiClient, SyncEngine and LocalStore. A supervisor puts
the number of a case an enumerator holds on the do-not-call register: the enumerator's next sync
takes the case off their queue. A "never call me" coded on the desktop reaches the register once,
however often its push is replayed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from cati_app.client.api import ApiClient
from cati_app.client.do_not_call_api import DoNotCallApi
from cati_app.client.store import LocalStore
from cati_app.client.supervisor_api import SupervisorApi
from cati_app.client.sync import SyncEngine, ack_file_for
from cati_app.core.clock import SystemClock
from cati_app.core.protocol import ItemKind, ItemStatus, PushItem, PushRequest
from tests.support.constants import PASSWORD
from tests.support.pg import backends
from tests.support.server_process import ENUMERATOR, SUPERVISOR, LiveServer, running_server

pytestmark = pytest.mark.e2e

DEVICE = "dev-e2e-dnc"


@pytest.fixture(params=backends())
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    workdir = tmp_path / "server"
    workdir.mkdir()
    with running_server(workdir, request.param, cases=6) as live:
        yield live


@pytest.fixture
def desktop(server: LiveServer, tmp_path: Path) -> Iterator[tuple[LocalStore, ApiClient,
                                                                    SyncEngine]]:
    clock = SystemClock()
    db_path = tmp_path / "karma.sqlite3"
    store = LocalStore.open(db_path, username=ENUMERATOR, clock=clock)
    api = ApiClient(server.base_url, timeout=10.0)
    api.login(ENUMERATOR, PASSWORD, DEVICE)
    engine = SyncEngine(store, api, clock, device_id=DEVICE, target_queue_size=3,
                        ack_file=ack_file_for(db_path))
    yield store, api, engine
    api.close()
    store.close()


@pytest.fixture
def register(server: LiveServer) -> Iterator[DoNotCallApi]:
    api = ApiClient(server.base_url, timeout=10.0)
    api.login(SUPERVISOR, PASSWORD, "dev-e2e-supervisor")
    yield SupervisorApi(api).do_not_call()
    api.close()


def _queue(store: LocalStore) -> list[int]:
    return [case.case_id for case in store.queue(SystemClock().now())]


def test_a_number_put_on_the_register_leaves_the_holders_desktop(
        server: LiveServer, desktop: tuple[LocalStore, ApiClient, SyncEngine],
        register: DoNotCallApi) -> None:
    store, _api, engine = desktop
    assert engine.run_cycle().ok
    held = _queue(store)
    assert len(held) == 3
    case_id = held[0]
    phone = str(server.scalar("SELECT phone1 FROM cases WHERE id = :c", c=case_id))

    entry = register.add(phone, "request", "asked RCSC by letter")

    assert entry.cases_withdrawn == 1 and phone[4:] not in entry.phone_masked
    report = engine.run_cycle()
    assert report.ok, report.errors
    assert case_id not in _queue(store)
    assert store.get_case(case_id).state != "active"
    assert server.scalar("SELECT state FROM cases WHERE id = :c", c=case_id) == "closed"
    assert server.scalar("SELECT disposition FROM cases WHERE id = :c",
                         c=case_id) == "register_refusal"


def test_never_call_me_from_the_desktop_reaches_the_register_once(
        server: LiveServer, desktop: tuple[LocalStore, ApiClient, SyncEngine],
        register: DoNotCallApi) -> None:
    store, api, engine = desktop
    assert engine.run_cycle().ok
    case_id = _queue(store)[0]
    now = SystemClock().now()
    store.record_attempt(case_id, outcome="never_call", phone_index=0,
                         started_at=now - timedelta(minutes=1), ended_at=now)
    saved = store.outbox_batch(100, 10_000_000)

    first = engine.run_cycle()
    replay = api.push(PushRequest(device_id=DEVICE, batch_uuid=uuid.uuid4(), items=[
        PushItem(item_uuid=i.item_uuid, kind=ItemKind(i.kind), case_id=i.case_id,
                 assignment_version=i.assignment_version, payload=i.payload) for i in saved]))

    assert first.ok and first.pushed == 1, first.errors
    assert [r.status for r in replay.results] == [ItemStatus.duplicate]
    page = register.page()
    assert page.total == 1 and page.entries[0].source == "respondent"
    assert server.scalar("SELECT count(*) FROM do_not_call") == 1
    assert server.scalar("SELECT disposition FROM cases WHERE id = :c",
                         c=case_id) == "never_call"
