"""End to end: the real server (uvicorn on a loopback port, SQLite and — with CATI_TEST_PG_URL —
PostgreSQL), the real ApiClient, SyncEngine and LocalStore (a SQLite file). What arrives on the
server is checked in its own database."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from cati_app.client.api import ApiClient, AuthExpired
from cati_app.client.store import LocalStore
from cati_app.client.sync import SyncEngine, ack_file_for
from cati_app.core.clock import SystemClock
from cati_app.core.protocol import ItemKind, ItemStatus, PushItem, PushRequest, Role
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.services.accounts import users
from tests.support.constants import PASSWORD
from tests.support.pg import backends
from tests.support.server_process import ENUMERATOR, LiveServer, running_server

pytestmark = pytest.mark.e2e

DEVICE = "dev-e2e-karma"
INDICATORS = ("acc_info", "acc_reach", "time_wait", "time_turnaround", "att_welcome",
              "att_courtesy", "int_fair", "int_payment", "fb_channels", "fb_willing")


class Enumerator:
    """One enumerator's desktop without the window: local store, api client, sync engine."""

    def __init__(self, server: LiveServer, workdir: Path) -> None:
        self.clock = SystemClock()
        self.db_path = workdir / "karma.sqlite3"
        self.store = LocalStore.open(self.db_path, username=ENUMERATOR, clock=self.clock)
        self.api = ApiClient(server.base_url, timeout=10.0)
        self.api.login(ENUMERATOR, PASSWORD, DEVICE)
        self.engine = SyncEngine(self.store, self.api, self.clock, device_id=DEVICE,
                                 target_queue_size=4, ack_file=ack_file_for(self.db_path))

    def close(self) -> None:
        self.api.close()
        self.store.close()

    def queue_ids(self) -> list[int]:
        return [case.case_id for case in self.store.queue(self.clock.now())]

    def no_answer(self, case_id: int) -> str:
        now = self.clock.now()
        return self.store.record_attempt(case_id, outcome="no_answer", phone_index=0,
                                         started_at=now - timedelta(minutes=1), ended_at=now)

    def complete_interview(self, case_id: int) -> tuple[str, dict[str, Any]]:
        case = self.store.get_case(case_id)
        script = self.store.questionnaire(case.questionnaire_id, case.questionnaire_version)
        assert script is not None, "the sync should have fetched the questionnaire"
        draft = self.store.start_interview(case_id, questionnaire=script, language="en",
                                           started_at=self.clock.now(), phone_index=0)
        answers: dict[str, Any] = {"consent": "yes", "availed": "yes", "complaint": "no",
                                   "comment": "quick service"}
        answers.update({name: str(1 + i % 5) for i, name in enumerate(INDICATORS)})
        for name, value in answers.items():
            self.store.save_answer(draft.interview_uuid, name, value, current_item=name)
        item = self.store.finish_interview(draft.interview_uuid, ended_at=self.clock.now())
        return item, answers


@pytest.fixture(params=backends())
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    workdir = tmp_path / "server"
    workdir.mkdir()
    with running_server(workdir, request.param, cases=10) as live:
        yield live


@pytest.fixture
def karma(server: LiveServer, tmp_path: Path) -> Iterator[Enumerator]:
    enumerator = Enumerator(server, tmp_path)
    yield enumerator
    enumerator.close()


def count_items(server: LiveServer, uuids: list[str]) -> int:
    placeholders = ", ".join(f":u{i}" for i in range(len(uuids)))
    return int(server.scalar(f"SELECT count(*) FROM pushed_items WHERE item_uuid IN "
                             f"({placeholders})", **{f"u{i}": u for i, u in enumerate(uuids)}))


def test_claim_interview_sync_leaves_exactly_that_interview_on_the_server(
        server: LiveServer, karma: Enumerator) -> None:
    first = karma.engine.run_cycle()
    assert first.ok, first.errors
    assert first.claimed == 4 and len(karma.queue_ids()) == 4
    case_id = karma.queue_ids()[0]

    attempt_uuid = karma.no_answer(case_id)
    interview_item, answers = karma.complete_interview(case_id)
    second = karma.engine.run_cycle()

    assert second.ok, second.errors
    assert second.pushed == 2 and karma.store.pending_count() == 0
    server.stop()  # nothing may still be in flight when we look
    rows = server.rows("SELECT item_uuid, case_id, answers, completion, user_id "
                       "FROM interview_versions")
    assert len(rows) == 1
    item_uuid, stored_case, stored_answers, completion, _user = rows[0]
    assert (item_uuid, stored_case, completion) == (interview_item, case_id, "complete")
    stored = stored_answers if isinstance(stored_answers, dict) else json.loads(stored_answers)
    assert stored == answers
    attempts = server.rows("SELECT item_uuid, outcome FROM contact_attempts WHERE case_id = :c "
                           "ORDER BY started_at", c=case_id)
    assert (attempt_uuid, "no_answer") in attempts
    statuses = server.rows("SELECT status FROM pushed_items")
    assert sorted(s for (s,) in statuses) == ["stored", "stored"]


def test_work_done_while_the_server_is_down_arrives_exactly_once(
        server: LiveServer, karma: Enumerator) -> None:
    assert karma.engine.run_cycle().ok
    cases = karma.queue_ids()
    server.stop()

    made = [karma.no_answer(cases[0]), karma.no_answer(cases[1])]
    offline = karma.engine.run_cycle()
    assert not offline.ok and "cannot reach" in offline.errors[0]
    made.append(karma.complete_interview(cases[2])[0])
    made.append(karma.no_answer(cases[3]))
    assert karma.store.pending_count() == 4  # all kept while offline
    as_saved = karma.store.outbox_batch(100, 10_000_000)

    server.start()
    back = karma.engine.run_cycle()
    again = karma.engine.run_cycle()

    assert back.ok, back.errors
    assert back.pushed == 4 and again.pushed == 0 and karma.store.pending_count() == 0
    # a replay of everything (a reply lost on the way back) creates nothing new
    replay = karma.api.push(PushRequest(device_id=DEVICE, batch_uuid=uuid.uuid4(), items=[
        PushItem(item_uuid=i.item_uuid, kind=ItemKind(i.kind), case_id=i.case_id,
                 assignment_version=i.assignment_version, payload=i.payload)
        for i in as_saved]))
    assert [str(r.item_uuid) for r in replay.results] == made
    assert {r.status for r in replay.results} == {ItemStatus.duplicate}
    server.stop()
    assert count_items(server, made) == 4
    assert server.scalar("SELECT count(*) FROM interview_versions") == 1
    assert server.scalar("SELECT count(*) FROM contact_attempts WHERE item_uuid IN "
                         "(:a, :b, :c)", a=made[0], b=made[1], c=made[3]) == 3


def test_a_lost_claim_reply_returns_the_same_grant(server: LiveServer,
                                                   karma: Enumerator) -> None:
    request_uuid = karma.store.claim_request_uuid()
    lost = karma.api.claim(request_uuid, DEVICE, 3)  # pretend this reply never arrived
    retried = karma.api.claim(request_uuid, DEVICE, 3)
    fresh = karma.api.claim(str(uuid.uuid4()), DEVICE, 3)

    assert retried.grant_id == lost.grant_id
    assert [c.case_id for c in retried.cases] == [c.case_id for c in lost.cases]
    assert len(lost.cases) == 3
    assert not {c.case_id for c in fresh.cases} & {c.case_id for c in lost.cases}

    # the engine then picks up the same stored uuid and gets that same grant
    report = karma.engine.run_cycle()
    assert report.ok, report.errors
    assert set(karma.queue_ids()) >= {c.case_id for c in lost.cases}


def revoke_device(server: LiveServer) -> None:
    """As an admin does it: through the server (a worker believes a token it checked lately
    for CATI_TOKEN_CACHE_SECONDS; the worker that makes the revocation forgets it at once)."""
    with server.database() as engine:
        ctx = AppContext.build(server.settings(), engine=engine)
        with transaction(ctx.sessions) as session:
            users.create_user(session, ctx.hasher, username="pema", password=PASSWORD,
                              role=Role.admin, full_name="Pema", at=ctx.clock.now())
    admin = requests.post(f"{server.base_url}/v1/auth/token", timeout=30, json={
        "username": "pema", "password": PASSWORD, "device_id": "admin-pc"})
    assert admin.status_code == 200, admin.text
    revoked = requests.post(
        f"{server.base_url}/v1/admin/devices/{DEVICE}/revoke", params={"username": ENUMERATOR},
        headers={"Authorization": f"Bearer {admin.json()['access_token']}"}, timeout=30)
    assert revoked.status_code == 200, revoked.text


@pytest.mark.parametrize("how", ["revoked", "bad token"])
def test_a_401_raises_auth_expired_and_keeps_local_data(
        server: LiveServer, karma: Enumerator, how: str) -> None:
    assert karma.engine.run_cycle().ok
    case_id = karma.queue_ids()[0]
    name = karma.store.get_case(case_id).respondent_name
    item = karma.no_answer(case_id)
    if how == "revoked":
        revoke_device(server)
    else:
        karma.api.token = "expired-or-never-issued"

    with pytest.raises(AuthExpired):
        karma.engine.run_cycle()

    assert karma.store.pending_count() == 1
    assert karma.store.get_case(case_id).respondent_name == name
    assert karma.store.outbox_batch(10, 1_000_000)[0].item_uuid == item
    assert "log in again" in karma.store.sync_log()[0].message
