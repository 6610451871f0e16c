"""The client side of the reliability tests: one enumerator's desktop without the window (the
real LocalStore, ApiClient and SyncEngine) and fast generation of finished work.

This module imports nothing of the server, so a client process that imports it measures the
client's own memory (tests/reliability/offline_child.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from cati_app.client.api import ApiClient
from cati_app.client.store import LocalStore, work
from cati_app.client.store.models import CaseRow
from cati_app.client.sync import SyncEngine, SyncReport, ack_file_for
from cati_app.core.clock import Clock, SystemClock

#: as in tests/e2e/live.py (not imported from there: that module imports the server)
ENUMERATOR = "karma"
PASSWORD = "correct horse battery"
DEVICE = "dev-reliability"
INDICATORS = ("acc_info", "acc_reach", "time_wait", "time_turnaround", "att_welcome",
              "att_courtesy", "int_fair", "int_payment", "fb_channels", "fb_willing")
ANSWERS: dict[str, Any] = {"consent": "yes", "availed": "yes", "complaint": "no",
                           "comment": "quick service",
                           **{name: str(1 + i % 5) for i, name in enumerate(INDICATORS)}}


class Desk:
    """One enumerator's store, API client and sync engine, talking to ``base_url``."""

    def __init__(self, base_url: str, db_path: Path, *, target_queue_size: int = 30,
                 token: str | None = None, pull_limit: int = 200,
                 clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.db_path = db_path
        self.store = LocalStore.open(db_path, username=ENUMERATOR, clock=self.clock)
        self.api = ApiClient(base_url, token=token, timeout=30.0)
        if token is None:
            self.api.login(ENUMERATOR, PASSWORD, DEVICE)
        self.engine = SyncEngine(self.store, self.api, self.clock, device_id=DEVICE,
                                 target_queue_size=target_queue_size,
                                 ack_file=ack_file_for(db_path), pull_limit=pull_limit)

    def close(self) -> None:
        self.api.close()
        self.store.close()

    def active_ids(self) -> list[int]:
        return [case.case_id for case in self.store.queue(self.clock.now())]

    def claim_until(self, count: int, max_cycles: int = 50) -> None:
        for _ in range(max_cycles):
            report = self.engine.run_cycle()
            assert report.ok, report.errors
            if self.store.active_case_count() >= count:
                return
        raise AssertionError(f"claimed only {self.store.active_case_count()} of {count} cases")

    def sync_until_settled(self, max_cycles: int) -> list[SyncReport]:
        """Cycles until the outbox is empty and a whole cycle went through."""
        reports = []
        for _ in range(max_cycles):
            reports.append(self.engine.run_cycle())
            if reports[-1].ok and self.store.pending_count() == 0:
                return reports
        raise AssertionError(f"{self.store.pending_count()} items still pending after "
                             f"{max_cycles} cycles: {reports[-1].errors}")


def finish_interviews(store: LocalStore, case_ids: Iterable[int], *,
                      attempts_each: int = 0) -> list[str]:
    """Call attempts and one complete interview per case; returns the outbox item uuids.

    The store's own work functions, but many cases per local transaction: thousands of items
    saved one fsync'd transaction each would take minutes and test nothing more (the kill
    tests cover one transaction per save)."""
    made: list[str] = []
    ids = list(case_ids)
    for start in range(0, len(ids), 200):
        with store._transaction() as session:  # noqa: SLF001 - batching, see above
            for case_id in ids[start:start + 200]:
                made += _work_one(store, session, case_id, attempts_each)
    return made


def _work_one(store: LocalStore, session: Any, case_id: int, attempts_each: int) -> list[str]:
    now = store._clock.now()  # noqa: SLF001
    row = session.get(CaseRow, case_id)
    script = store._questionnaire_in(session, row.questionnaire_id,  # noqa: SLF001
                                     row.questionnaire_version)
    assert script is not None, "sync first: the questionnaire is not on this device"
    made = []
    for n in range(attempts_each):
        at = now - timedelta(hours=2, minutes=n)
        made.append(work.record_attempt(
            session, store._rules, store.username, case_id, outcome="no_answer",  # noqa: SLF001
            phone_index=0, started_at=at, ended_at=at + timedelta(seconds=30), note="",
            appointment_at=None, appointment_kind=None, now=now))
    draft = work.start_interview(session, case_id, questionnaire=script, language="en",
                                 started_at=now - timedelta(minutes=10), phone_index=0)
    for name, value in ANSWERS.items():
        work.save_answer(session, draft.interview_uuid, name, value, name)
    made.append(work.finish_interview(session, store._rules, store.username, script,  # noqa: SLF001
                                      draft.interview_uuid, ended_at=now, now=now))
    return made


