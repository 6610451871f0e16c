"""What a bulk change of cases will do, in words, before it is done (plain Python, no Qt).

The confirmation says how many cases and whose: "Reassign 12 cases (5 held by enum1, 7 in the
pool) to enum2?". Taking cases from the enumerator who holds them is a forced reassign: the
server needs a reason, and the old holder is shown it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class CaseLike(Protocol):
    case_id: int
    state: str
    holder: str | None


@dataclass(frozen=True)
class Confirmation:
    question: str
    #: cases another enumerator holds: the change takes them away (force and a reason)
    forced: int
    #: cases the server will leave as they are (closed)
    skipped: int

    @property
    def needs_reason(self) -> bool:
        return self.forced > 0


def _plural(n: int, word: str = "case") -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def whose(cases: Sequence[CaseLike]) -> str:
    """``5 held by enum1, 7 in the pool``: held cases by holder's name, then waiting for a
    supervisor, in the pool, closed."""
    groups: Counter[tuple[int, str]] = Counter()
    for case in cases:
        if case.state == "closed":
            groups[(3, "closed")] += 1
        elif case.holder:
            groups[(0, f"held by {case.holder}")] += 1
        elif case.state == "needs_supervisor":
            groups[(1, "waiting for a supervisor")] += 1
        else:
            groups[(2, "in the pool")] += 1
    return ", ".join(f"{n:,} {group}" for (_rank, group), n in sorted(groups.items()))


def _closed(cases: Sequence[CaseLike]) -> int:
    return sum(1 for c in cases if c.state == "closed")


def _tail(skipped: int, forced: int, holders: set[str]) -> str:
    parts = []
    if forced:
        names = ", ".join(sorted(holders))
        parts.append(f"{_plural(forced)} will be taken from {names}, who will see your reason.")
    if skipped:
        parts.append(f"{_plural(skipped)} closed will stay as they are.")
    return (" " + " ".join(parts)) if parts else ""


def confirm_assign(cases: Sequence[CaseLike], to_user: str | None) -> Confirmation:
    """``to_user=None``: back to the pool."""
    taken = [c for c in cases if c.holder and c.holder != to_user and c.state != "closed"]
    skipped = _closed(cases)
    head = (f"Reassign {_plural(len(cases))} ({whose(cases)}) to {to_user}?" if to_user
            else f"Return {_plural(len(cases))} ({whose(cases)}) to the pool?")
    tail = _tail(skipped, len(taken), {c.holder for c in taken if c.holder})
    return Confirmation(head + tail, forced=len(taken), skipped=skipped)


def confirm_priority(cases: Sequence[CaseLike], priority: int) -> Confirmation:
    head = f"Set the priority of {_plural(len(cases))} ({whose(cases)}) to {priority}?"
    return Confirmation(head, forced=0, skipped=0)
