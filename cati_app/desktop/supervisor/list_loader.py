"""Loads a tab's list on the background runner so that it can refresh itself: only the
newest answer is shown (a filter changed while a list was on its way wins), and a refresh
nobody asked for is skipped while another is still on its way, so ticks never stack up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject

from cati_app.desktop.worker import BackgroundRunner

Listing = TypeVar("Listing")


class ListLoader(Generic[Listing]):
    def __init__(self, runner: BackgroundRunner, owner: QObject,
                 on_listed: Callable[[Listing], None],
                 on_failed: Callable[[BaseException], None]) -> None:
        self.runner = runner
        self.owner = owner
        self.on_listed = on_listed
        self.on_failed = on_failed
        self.pending = 0
        self._asked = 0

    @property
    def loading(self) -> bool:
        return self.pending > 0

    def load(self, call: Callable[[], Listing], *, automatic: bool = False) -> bool:
        """Start loading; False when an automatic refresh was skipped."""
        if automatic and self.pending:
            return False
        self._asked += 1
        asked = self._asked
        self.pending += 1
        self.runner.run(call, lambda listing: self._answer(asked, listing),
                        lambda error: self._failure(asked, error), owner=self.owner)
        return True

    def _answer(self, asked: int, listing: Listing) -> None:
        self.pending -= 1
        if asked == self._asked:  # an older answer would show what the filters no longer say
            self.on_listed(listing)

    def _failure(self, asked: int, error: BaseException) -> None:
        self.pending -= 1
        if asked == self._asked:
            self.on_failed(error)
