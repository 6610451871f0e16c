"""Issue 10, "Time": the desktop records times corrected by the server clock offset it
measured at the last sync, so a computer set a day ahead still reports the right times."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from cati_app.client.store import LocalStore
from cati_app.client.sync import SyncEngine
from cati_app.core.clock import FixedClock
from cati_app.core.protocol import Hello, PullResponse, SnapshotResponse
from cati_app.core.questionnaire import default_questionnaire
from cati_app.desktop.enumerator.controller import EnumeratorController
from tests.desktop.helpers import MONDAY_10_THIMPHU, USERNAME, demo_cases

DAY = timedelta(days=1)


class ServerAt:
    """Just enough of the server for one sync cycle: its clock, nothing to pull or claim."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def hello(self) -> Hello:
        return Hello(server_time=self.now, min_client_version="0.1.0")

    def pull(self, cursor: str, limit: int) -> PullResponse:
        return PullResponse(changes=[], next_cursor=cursor, has_more=False, server_time=self.now)

    def snapshot(self, device_id: str) -> SnapshotResponse:
        """A fresh store starts from a snapshot: this one adds nothing to the claimed cases."""
        return SnapshotResponse(cases=[], cursor="0", server_time=self.now)


def _skewed_desk(tmp_path: Path) -> tuple[LocalStore, EnumeratorController, FixedClock]:
    client_clock = FixedClock(MONDAY_10_THIMPHU + DAY)  # this computer is a day ahead
    store = LocalStore.open(tmp_path / "local.sqlite3", username=USERNAME, clock=client_clock)
    store.store_claim("grant-1", demo_cases(MONDAY_10_THIMPHU))
    store.save_questionnaire(default_questionnaire().model_dump(mode="json"))
    engine = SyncEngine(store, ServerAt(MONDAY_10_THIMPHU), client_clock,  # type: ignore[arg-type]
                        device_id="dev-1", target_queue_size=0)
    assert engine.run_cycle().ok
    return store, EnumeratorController(store, client_clock, username=USERNAME), client_clock


def _payloads(store: LocalStore) -> list[dict]:
    return [item.payload for item in store.outbox_batch(50, 10**7)]


def test_a_call_and_its_appointment_are_recorded_in_server_time(tmp_path: Path) -> None:
    store, controller, _clock = _skewed_desk(tmp_path)
    try:
        assert abs((controller.now() - MONDAY_10_THIMPHU).total_seconds()) < 1
        started = controller.now() - timedelta(minutes=2)
        controller.record_outcome(101, outcome="appointment", phone_index=0,
                                  started_at=started,
                                  appointment_at=controller.now() + timedelta(hours=2),
                                  appointment_kind="soft")
        [payload] = _payloads(store)
        assert payload["started_at"] == "2026-06-01T03:58:00Z"
        assert payload["ended_at"] == "2026-06-01T04:00:00Z"
        assert payload["appointment_at"] == "2026-06-01T06:00:00Z"  # not a day late
    finally:
        store.close()


def test_an_interview_is_recorded_in_server_time(tmp_path: Path) -> None:
    store, controller, clock = _skewed_desk(tmp_path)
    try:
        case = controller.case(103)
        draft = controller.start_interview(case, default_questionnaire(), language="en",
                                           phone_index=0)
        clock.advance(timedelta(minutes=9))
        controller.finish_interview(draft.interview_uuid)
        [payload] = _payloads(store)
        assert payload["started_at"] == "2026-06-01T04:00:00Z"
        assert payload["ended_at"] == "2026-06-01T04:09:00Z"
    finally:
        store.close()

