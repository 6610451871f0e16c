"""One helper for background work: run a function on the thread pool, get the result or the
error back on the UI thread (DESIGN.md §8, after anki's ``QueryOp``).

Widgets never touch a thread: they call ``BackgroundRunner.run(fn, on_success, on_failure,
owner=self)`` and their callbacks run on the UI thread, where it is safe to update widgets.

A reply can arrive after the widget that asked for it is gone (a dialog closed, a window shut
while a request was on its way). Calling into a deleted widget raises inside Qt's event loop
or, worse, touches freed memory; so a delivery is dropped when its ``owner`` was destroyed,
and every delivery is dropped once the runner is closed (the application is quitting).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot

# how long closing the runner waits for running tasks before the interpreter goes on
SHUTDOWN_WAIT_MS = 5000


class _Delivery(QObject):
    """Lives on the UI thread; the worker emits into it, Qt queues the call across threads.

    It has no Qt parent on purpose: the running task and the runner both hold it from
    Python, so its C++ object lives until the task has emitted, whatever else is deleted.
    """

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, on_success: Callable[[Any], None],
                 on_failure: Callable[[BaseException], None], owner: QObject | None,
                 runner: BackgroundRunner) -> None:
        super().__init__()
        self._on_success = on_success
        self._on_failure = on_failure
        self._owner = owner
        self._owner_gone = False
        self._runner = runner
        #: the task's function, held here too: what it refers to (a dialog, a page) must be
        #: let go on the UI thread. Were the worker's reference the last, a widget would be
        #: destroyed on the worker thread (Qt: "QBasicTimer::stop: Failed", then a crash).
        self.job: Callable[[], Any] | None = None
        if owner is not None:
            owner.destroyed.connect(self._forget_owner)
        self.succeeded.connect(self._deliver_success)
        self.failed.connect(self._deliver_failure)

    @Slot()
    def _forget_owner(self) -> None:
        self._owner_gone = True

    def wanted(self) -> bool:
        if self._runner.closed or self._owner_gone:
            return False
        return self._owner is None or shiboken6.isValid(self._owner)

    @Slot(object)
    def _deliver_success(self, result: Any) -> None:
        self._deliver(self._on_success, result)

    @Slot(object)
    def _deliver_failure(self, error: BaseException) -> None:
        self._deliver(self._on_failure, error)

    def _deliver(self, callback: Callable[[Any], None], value: Any) -> None:
        try:
            if self.wanted():
                callback(value)
        finally:
            self.job = None  # on the UI thread, after the worker has let go of it
            self._runner._finished(self, value if callback is self._on_failure else None)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], delivery: _Delivery) -> None:
        super().__init__()
        self._fn: Callable[[], Any] | None = fn
        self._delivery = delivery

    def run(self) -> None:
        # the worker lets go of the function before it reports, so the delivery's reference,
        # dropped on the UI thread, is always the last one
        fn, self._fn = self._fn, None
        assert fn is not None, "a task runs once"
        try:
            result = fn()
        except BaseException as error:  # noqa: BLE001 - every failure goes back to the UI
            del fn
            self._emit(self._delivery.failed, error)
        else:
            del fn
            self._emit(self._delivery.succeeded, result)

    def _emit(self, signal: Any, value: Any) -> None:
        if not shiboken6.isValid(self._delivery):  # never the case while we hold it; be sure
            return
        # RuntimeError: the application is being torn down and nobody is listening
        with contextlib.suppress(RuntimeError):
            signal.emit(value)


class BackgroundRunner(QObject):
    """Runs callables off the UI thread. ``busy`` counts tasks whose callbacks have not run.

    ``task_failed`` carries every failure (even one whose owner is gone) on the UI thread, so
    the application can react once to what concerns all widgets, such as an expired login.
    """

    task_failed = Signal(object)

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._pending: set[_Delivery] = set()  # keeps deliveries alive until they have run
        self.closed = False
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.close)

    @property
    def busy(self) -> int:
        return len(self._pending)

    def run(self, fn: Callable[[], Any], on_success: Callable[[Any], None],
            on_failure: Callable[[BaseException], None], *, owner: QObject | None = None
            ) -> None:
        """Run ``fn`` on the pool; its result goes to ``on_success`` (or its exception to
        ``on_failure``) on the UI thread, unless ``owner`` has been destroyed by then."""
        if self.closed:
            return
        delivery = _Delivery(on_success, on_failure, owner, self)
        delivery.job = fn
        self._pending.add(delivery)
        self._pool.start(_Task(fn, delivery))

    def _finished(self, delivery: _Delivery, error: BaseException | None) -> None:
        self._pending.discard(delivery)
        if error is not None and not self.closed:
            self.task_failed.emit(error)

    @Slot()
    def close(self, wait_ms: int = SHUTDOWN_WAIT_MS) -> None:
        """Deliver nothing more, and give running tasks a moment to end, so none finishes
        while Python and Qt are freeing the objects it would report to."""
        self.closed = True
        self._pool.waitForDone(wait_ms)
        self._pending.clear()
