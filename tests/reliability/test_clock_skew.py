"""Clock skew (issue 10, "Time"): a desktop whose clock jumps a day ahead after it synced.

The real server (uvicorn subprocess, the machine's clock) and the real desktop path (the
enumerator controller over the LocalStore, ApiClient and SyncEngine). The desk claims cases
with a correct clock; then its clock jumps a day ahead (a dead CMOS battery, a wrong manual
setting) and the enumerator codes calls before the next sync, so those carry times a day in
the future. The next sync measures the new offset; calls coded after it are recorded in
server time. Finally a real appointment is booked "in two hours" on one of the flagged cases.

Checked on the server: every skewed call is stored as sent and flagged, planned from the time
of receipt, with one implausible_time notice per case; no corrected call is flagged and each is
within seconds of its receipt; the appointment stands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cati_app.core.clock import as_utc
from cati_app.core.scheduling import CallingRules
from cati_app.desktop.enumerator.controller import EnumeratorController
from tests.reliability.desk import ENUMERATOR, Desk
from tests.support.server_process import start_server

CASES = 20
SKEWED = 10
DAY = timedelta(days=1)


class MovableClock:
    """The machine's clock, plus however far someone set it wrong."""

    def __init__(self) -> None:
        self.skew = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.skew


def test_calls_from_a_clock_a_day_ahead_are_flagged_and_planned_from_receipt(
        tmp_path: Path, backend: str) -> None:
    clock = MovableClock()
    with start_server(tmp_path, backend, cases=CASES) as server:
        desk = Desk(server.base_url, tmp_path / "karma.sqlite3", target_queue_size=CASES,
                    clock=clock)
        controller = EnumeratorController(desk.store, clock, username=ENUMERATOR)
        try:
            desk.claim_until(CASES)
            ids = desk.active_ids()
            clock.skew = DAY  # the computer's clock jumps; the offset measured is now stale
            for case_id in ids[:SKEWED]:
                controller.record_outcome(case_id, outcome="no_answer", phone_index=0,
                                          started_at=controller.now())
            assert desk.sync_until_settled(max_cycles=5)[-1].ok
            offset = desk.store.server_clock_offset()
            for case_id in ids[SKEWED:]:
                controller.record_outcome(case_id, outcome="no_answer", phone_index=0,
                                          started_at=controller.now())
            booked = ids[0]
            controller.record_outcome(booked, outcome="appointment", phone_index=0,
                                      started_at=controller.now(),
                                      appointment_at=controller.now() + timedelta(hours=2),
                                      appointment_kind="soft")
            appointment_at = controller.now() + timedelta(hours=2)
            assert desk.sync_until_settled(max_cycles=5)[-1].ok
        finally:
            desk.close()
        server.stop()
        rows = server.rows("SELECT case_id, started_at, received_at, effective_at, time_flags "
                           "FROM contact_attempts WHERE outcome = 'no_answer'")
        flagged = [r for r in rows if _flags(r[4])]
        plain = [r for r in rows if not _flags(r[4])]
        notices = server.scalar("SELECT count(*) FROM conflicts WHERE kind = 'implausible_time'")
        plans = dict(server.rows("SELECT id, next_call_at FROM cases"))
        appointment = server.scalar("SELECT appointment_at FROM cases WHERE id = :c", c=booked)

    worst = max(abs(_utc(r[1]) - _utc(r[2])) for r in plain)
    print(f"\nclock skew: offset measured {offset:.1f} s; {len(flagged)} of {len(rows)} calls "
          f"flagged, {notices} notices; corrected calls at most {worst.total_seconds():.2f} s "
          "from their receipt")
    assert abs(offset + DAY.total_seconds()) < 60  # the sync measured the jump
    assert sorted(r[0] for r in flagged) == sorted(ids[:SKEWED])
    assert len(plain) == CASES - SKEWED and notices == SKEWED
    for case_id, started, received, effective, _ in flagged:
        ahead = _utc(started) - _utc(received)
        assert DAY - timedelta(minutes=1) < ahead < DAY + timedelta(minutes=1)  # kept as sent
        assert _utc(effective) == _utc(received)
        if case_id != booked:  # no answer: three hours after the receipt, in a window
            expected = CallingRules().calendar.next_window_start(_utc(received)
                                                                 + timedelta(hours=3))
            assert _utc(plans[case_id]) == expected
    assert worst < timedelta(seconds=30)
    assert abs(_utc(appointment) - appointment_at) < timedelta(seconds=1)


def _flags(raw: object) -> list:
    import json

    return json.loads(raw) if isinstance(raw, str) else list(raw or [])


def _utc(value: object) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return as_utc(value)
