"""Delays between automatic sync attempts: exponential with full jitter, capped.

Full jitter (a uniform draw between 0 and the exponential ceiling) spreads the retries of many
enumerators whose connection came back at the same moment, so they do not all hit the server
in the same second (AWS Architecture Blog, "Exponential Backoff And Jitter").
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 5.0
    cap: float = 300.0
    #: a draw in [0, 1); injectable so tests get exact delays
    random: Callable[[], float] = field(default=random.random)
    failures: int = 0

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap < self.base:
            raise ValueError("backoff needs 0 < base <= cap")

    def ceiling(self) -> float:
        """The largest delay the next failure may wait."""
        # min() before the power would overflow after ~1000 failures
        exponent = min(self.failures, 62)
        return min(self.cap, self.base * 2.0 ** exponent)

    def next_delay(self, retry_after: float | None = None) -> float:
        """Record a failure and return how long to wait before the next attempt; a server's
        Retry-After is a floor, never shortened by the jitter."""
        delay = self.random() * self.ceiling()
        self.failures += 1
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    def reset(self) -> None:
        """After a successful sync the next failure starts from the base delay again."""
        self.failures = 0
