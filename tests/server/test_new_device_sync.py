"""A new PC, a reinstall and a restored server, played with the real client (LocalStore,
ApiClient, SyncEngine) against the real app on a loopback port, SQLite and PostgreSQL
(issue 10). The server and both desktops share one fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cati_app.client.api import ApiClient
from cati_app.client.store import LocalStore
from cati_app.client.sync import SyncEngine, ack_file_for
from cati_app.core.clock import FixedClock
from cati_app.server.context import AppContext
from cati_app.server.models import Case, ContactAttempt, InterviewVersion
from tests.support.constants import PASSWORD
from tests.support.factories import COMPLETE_ANSWERS, seed_cases, seed_service
from tests.support.server_thread import InThreadServer

USER = "karma"


class Desktop:
    """One enumerator's PC without the window."""

    def __init__(self, url: str, workdir: Path, device_id: str, clock: FixedClock,
                 target: int = 3) -> None:
        self.clock = clock
        self.device_id = device_id
        self.db_path = workdir / f"{device_id}.sqlite3"
        self.store = LocalStore.open(self.db_path, username=USER, clock=clock)
        self.api = ApiClient(url, timeout=10.0)
        self.login()
        self.engine = SyncEngine(self.store, self.api, clock, device_id=device_id,
                                 target_queue_size=target, ack_file=ack_file_for(self.db_path))

    def login(self) -> None:
        self.api.login(USER, PASSWORD, self.device_id)

    def sync(self) -> None:
        report = self.engine.run_cycle()
        assert report.ok, report.errors

    def queue(self) -> list[int]:
        return sorted(c.case_id for c in self.store.queue(self.clock.now()))

    def complete(self, case_id: int) -> None:
        case = self.store.get_case(case_id)
        script = self.store.questionnaire(case.questionnaire_id, case.questionnaire_version)
        assert script is not None
        draft = self.store.start_interview(case_id, questionnaire=script, language="en",
                                           started_at=self.clock.now(), phone_index=0)
        for name, value in COMPLETE_ANSWERS.items():
            self.store.save_answer(draft.interview_uuid, name, value, current_item=name)
        self.store.finish_interview(draft.interview_uuid, ended_at=self.clock.now())

    def close(self) -> None:
        self.api.close()
        self.store.close()


@pytest.fixture
def desktops(live_server: InThreadServer, tmp_path: Path, clock: FixedClock
             ) -> Iterator[Any]:
    opened: list[Desktop] = []

    def make(device_id: str, target: int = 3) -> Desktop:
        desk = Desktop(live_server.url, tmp_path, device_id, clock, target)
        opened.append(desk)
        return desk

    yield make
    for desk in opened:
        desk.close()


def _assign(client, login, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/v1/cases/assign", headers=login("boss"), json={
        "case_ids": ids, "to_user": USER, "force": False, "reason": ""})
    assert r.status_code == 200, r.text


def _case(ctx: AppContext, case_id: int) -> Case:
    with ctx.sessions() as s:
        return s.get_one(Case, case_id)


def test_a_new_pc_does_not_get_closed_cases_back_and_nobody_is_interviewed_twice(
        ctx, client, make_user, login, desktops):
    make_user(USER)
    make_user("boss", "supervisor")
    ids = seed_cases(ctx, seed_service(ctx), 8)
    _assign(client, login, ids[:3])
    old = desktops("dev-old")
    old.sync()
    assert old.queue() == ids[:3]
    old.complete(ids[0])
    old.sync()
    assert _case(ctx, ids[0]).state == "closed"

    new = desktops("dev-new")  # the old PC broke; the enumerator logs in on another one
    new.sync()

    queue = new.queue()
    assert ids[0] not in queue  # the completed respondent is not called again
    assert set(ids[1:3]) <= set(queue) and len(queue) == 3  # the rest, topped up by a claim
    with ctx.sessions() as s:
        assert s.scalars(select(InterviewVersion.case_id)).all() == [ids[0]]


def test_a_quiet_old_pcs_holds_move_to_the_new_pc_and_its_late_work_is_kept_as_stale(
        ctx, make_user, desktops, clock):
    make_user(USER)
    seed_cases(ctx, seed_service(ctx), 8)
    old = desktops("dev-old")
    old.sync()
    held = old.queue()
    assert len(held) == 3
    clock.advance(timedelta(hours=ctx.settings.handover_quiet_hours + 1))

    new = desktops("dev-new")
    new.sync()

    assert new.queue() == held  # nothing stranded on the old PC
    assert {_case(ctx, i).holder_device for i in held} == {"dev-new"}
    # the old PC comes back with a call it made offline: stored, flagged stale, and its
    # queue learns the cases moved on
    old.store.record_attempt(held[0], outcome="no_answer", phone_index=0,
                             started_at=clock.now() - timedelta(minutes=2),
                             ended_at=clock.now())
    old.login()
    old.sync()
    with ctx.sessions() as s:
        stale = s.scalars(select(ContactAttempt.stale).where(
            ContactAttempt.case_id == held[0])).all()
    assert stale == [True]
    assert not set(held) & set(old.queue())
    assert all(old.store.get_case(i).state == "revoked" for i in held)


def test_a_restored_server_makes_the_desktop_take_a_fresh_snapshot(
        ctx, client, make_user, login, desktops):
    make_user(USER)
    make_user("boss", "supervisor")
    ids = seed_cases(ctx, seed_service(ctx), 8)
    desk = desktops("dev-a", target=1)
    desk.sync()
    [mine] = desk.queue()
    # the server is restored from a backup older than the desktop's last pull: the desktop's
    # cursor now lies beyond the feed
    with desk.store._transaction() as session:  # noqa: SLF001 - the restore, from the client's side
        from cati_app.client.store.local_store import _set_meta
        _set_meta(session, "cursor", "900")
        _set_meta(session, "applied_seq", 900)
    other = next(i for i in ids if i != mine)
    _assign(client, login, [other])  # announced at a feed position far below 900

    desk.sync()

    assert desk.queue() == sorted([mine, other])  # not a silent empty page
    end = client.get("/v1/sync/pull", headers=login(USER, "dev-a")).json()["next_cursor"]
    assert desk.store.cursor() == end
