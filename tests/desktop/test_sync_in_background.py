"""Sync runs on a worker thread, one cycle at a time; the status bar and the sync log show
what happened; an expired login asks to sign in again and stops the automatic sync."""

from __future__ import annotations

import threading

from cati_app.client.api import ApiClient, AuthExpired
from cati_app.client.sync import SyncEngine
from cati_app.desktop.enumerator.sync_control import SyncController
from cati_app.desktop.enumerator.sync_status import SyncLogDialog
from cati_app.desktop.worker import BackgroundRunner
from tests.desktop.helpers import WAIT_MS, open_window

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens, the connection is refused


class ThreadRecordingEngine:
    """The real engine, noting which thread each cycle ran on and holding it until released."""

    def __init__(self, engine: SyncEngine) -> None:
        self.engine = engine
        self.threads: list[int] = []
        self.release = threading.Event()

    def run_cycle(self, progress=None):
        self.threads.append(threading.get_ident())
        self.release.wait(WAIT_MS / 1000)
        return self.engine.run_cycle(progress)


def test_sync_with_the_server_down_runs_off_the_ui_thread_and_shows_offline(
        qtbot, qtmodeltester, controller, dialer, settings, seeded_store, clock):
    controller.record_outcome(101, outcome="busy", phone_index=0, started_at=clock.now())
    api = ApiClient(UNREACHABLE, timeout=2.0)
    engine = ThreadRecordingEngine(SyncEngine(seeded_store, api, clock, device_id="dev-1"))
    sync = SyncController(engine, BackgroundRunner(), clock.now, interval_minutes=5,
                          auth_error=AuthExpired)
    window = open_window(qtbot, controller, dialer, settings, sync=sync)
    assert window.sync_status.waiting.text() == "1 waiting to upload"

    with qtbot.waitSignal(sync.finished, timeout=20_000) as done:
        assert sync.sync_now()
        assert window.sync_status.progress.isVisible()
        assert not sync.sync_now()  # one cycle at a time
        engine.release.set()
    assert engine.threads and engine.threads[0] != threading.get_ident()
    assert len(engine.threads) == 1
    assert done.args[0].ok is False
    assert "offline" in window.sync_status.connection.text()
    assert not window.sync_status.progress.isVisible()
    assert window.sync_status.waiting.text() == "1 waiting to upload"  # nothing lost

    dialog = window.open_sync_log()
    assert isinstance(dialog, SyncLogDialog)
    qtmodeltester.check(dialog.model, force_py=True)
    assert dialog.model.rowCount() >= 1
    assert dialog.model.index(0, 2).data()  # the failure is in the log with its message
    api.close()


class ExpiredLoginEngine:
    def run_cycle(self, progress=None):
        raise AuthExpired("your session has expired: sign in again")


def test_an_expired_login_asks_for_login_and_stops_automatic_sync(qtbot, clock):
    sync = SyncController(ExpiredLoginEngine(), BackgroundRunner(), clock.now,
                          interval_minutes=5, auth_error=AuthExpired)
    sync.start_automatic()
    with qtbot.waitSignal(sync.auth_expired, timeout=WAIT_MS) as expired:
        sync.sync_now()
    assert "sign in again" in expired.args[0]
    assert not sync.timer.isActive()
    assert not sync.running


def test_the_automatic_sync_interval_comes_from_the_settings(clock):
    sync = SyncController(ExpiredLoginEngine(), BackgroundRunner(), clock.now,
                          interval_minutes=3, auth_error=AuthExpired)
    assert sync.timer.interval() == 3 * 60_000
