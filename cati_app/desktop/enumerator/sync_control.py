"""Runs sync cycles off the UI thread: on F5, and every few minutes by a timer.

One cycle at a time: a request while a cycle runs is ignored (the engine has its own lock too).
An expired login stops the timer and asks the window for a new login; local data is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from cati_app.client.sync import Progress, SyncReport
from cati_app.desktop.worker import BackgroundRunner


class CycleEngine(Protocol):
    def run_cycle(self, progress: Progress | None = None) -> SyncReport: ...


@dataclass(frozen=True)
class SyncOutcome:
    ok: bool
    message: str
    at: datetime


class SyncController(QObject):
    started = Signal()
    progressed = Signal(str, int, int)  # stage, done, total (emitted from the worker thread)
    finished = Signal(object)  # SyncOutcome
    auth_expired = Signal(str)

    def __init__(self, engine: CycleEngine, runner: BackgroundRunner,
                 now: Callable[[], datetime], *,
                 interval_minutes: int, auth_error: type[BaseException],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._runner = runner
        self._now = now
        self._auth_error = auth_error
        self.running = False
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, interval_minutes) * 60_000)
        self.timer.timeout.connect(self.sync_now)

    def set_interval(self, minutes: int) -> None:
        self.timer.setInterval(max(1, minutes) * 60_000)  # a running timer restarts with it

    def set_target_queue_size(self, cases: int) -> None:
        if hasattr(self.engine, "target_queue_size"):
            self.engine.target_queue_size = max(1, cases)

    def start_automatic(self) -> None:
        self.timer.start()

    def stop_automatic(self) -> None:
        self.timer.stop()

    def sync_now(self) -> bool:
        """Start a cycle; False when one is already running."""
        if self.running:
            return False
        self.running = True
        self.started.emit()
        self._runner.run(lambda: self.engine.run_cycle(self._report_progress),
                         self._on_done, self._on_error, owner=self)
        return True

    def _report_progress(self, stage: str, done: int, total: int) -> None:
        self.progressed.emit(stage, done, total)  # from the worker; Qt queues it to the UI

    def _on_done(self, report: SyncReport) -> None:
        self.running = False
        if getattr(report, "skipped", False):
            return
        ok = bool(report.ok)
        message = "; ".join(report.errors) if report.errors else (
            self.tr("uploaded {pushed}, received {pulled}, new cases {claimed}").format(
                pushed=report.pushed, pulled=report.pulled, claimed=report.claimed))
        self.finished.emit(SyncOutcome(ok, message, self._now()))

    def _on_error(self, error: BaseException) -> None:
        self.running = False
        if isinstance(error, self._auth_error):
            self.stop_automatic()
            self.finished.emit(SyncOutcome(False, self.tr("login expired: sign in again"),
                                               self._now()))
            self.auth_expired.emit(str(error))
            return
        # a bug in a cycle must not kill the app; it is shown and the next cycle retries
        self.finished.emit(SyncOutcome(
            False, self.tr("sync failed: {error}").format(error=error), self._now()))
