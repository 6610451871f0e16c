"""One helper for background work: run a function on the thread pool, get the result or the
error back on the UI thread (DESIGN.md §8, after anki's ``QueryOp``).

Widgets never touch a thread: they call ``BackgroundRunner.run(fn, on_success, on_failure)``
and their callbacks run on the UI thread, where it is safe to update widgets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class _Delivery(QObject):
    """Lives on the UI thread; the worker emits into it, Qt queues the call across threads."""

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, on_success: Callable[[Any], None],
                 on_failure: Callable[[BaseException], None], done: Callable[[_Delivery], None]):
        super().__init__()
        self._on_success = on_success
        self._on_failure = on_failure
        self._done = done
        self.succeeded.connect(self._deliver_success)
        self.failed.connect(self._deliver_failure)

    @Slot(object)
    def _deliver_success(self, result: Any) -> None:
        try:
            self._on_success(result)
        finally:
            self._done(self)

    @Slot(object)
    def _deliver_failure(self, error: BaseException) -> None:
        try:
            self._on_failure(error)
        finally:
            self._done(self)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], delivery: _Delivery) -> None:
        super().__init__()
        self._fn = fn
        self._delivery = delivery

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as error:  # noqa: BLE001 - every failure goes back to the UI
            self._delivery.failed.emit(error)
        else:
            self._delivery.succeeded.emit(result)


class BackgroundRunner(QObject):
    """Runs callables off the UI thread. ``busy`` counts tasks whose callbacks have not run."""

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._pending: set[_Delivery] = set()  # keeps deliveries alive until they have run

    @property
    def busy(self) -> int:
        return len(self._pending)

    def run(self, fn: Callable[[], Any], on_success: Callable[[Any], None],
            on_failure: Callable[[BaseException], None]) -> None:
        delivery = _Delivery(on_success, on_failure, self._pending.discard)
        self._pending.add(delivery)
        self._pool.start(_Task(fn, delivery))
