"""Background calls whose replies may arrive after their widget has closed.

A supervisor can close a dialog or the window while a request is on its way; the reply must
then be dropped, not delivered to a deleted widget (which raises inside Qt's event loop).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject

from cati_app.desktop.worker import BackgroundRunner


def _while_alive(owner: QObject, callback: Callable[[Any], None]) -> Callable[[Any], None]:
    def deliver(value: Any) -> None:
        if shiboken6.isValid(owner):
            callback(value)

    return deliver


def run_for(owner: QObject, runner: BackgroundRunner, fn: Callable[[], Any],
            on_success: Callable[[Any], None],
            on_failure: Callable[[BaseException], None]) -> None:
    """``runner.run`` whose callbacks are skipped once ``owner`` has been deleted."""
    runner.run(fn, _while_alive(owner, on_success), _while_alive(owner, on_failure))
