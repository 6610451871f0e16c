"""What a bulk change of cases will do, in words, before it is done (no widgets; the words
go through Qt's translator, context "BulkChange").

The confirmation says how many cases and whose: "Reassign 12 cases (5 held by enum1, 7 in the
pool) to enum2?". Taking cases from the enumerator who holds them is a forced reassign: the
server needs a reason, and the old holder is shown it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QCoreApplication

translate = QCoreApplication.translate


class CaseLike(Protocol):
    # read-only members: a case row whose state is a narrower type (a Literal) still fits
    @property
    def case_id(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def holder(self) -> str | None: ...


@dataclass(frozen=True)
class Confirmation:
    question: str
    # cases another enumerator holds: the change takes them away (force and a reason)
    forced: int
    # cases the server will leave as they are (closed)
    skipped: int

    @property
    def needs_reason(self) -> bool:
        return self.forced > 0


def _plural(n: int) -> str:
    # two whole phrases rather than Qt's %n plurals: English needs no catalogue this way
    text = (translate("BulkChange", "{count} case") if n == 1
            else translate("BulkChange", "{count} cases"))
    return text.format(count=f"{n:,}")


def whose(cases: Sequence[CaseLike]) -> str:
    """``5 held by enum1, 7 in the pool``: held cases by holder's name, then waiting for a
    supervisor, in the pool, closed."""
    # (rank, holder): held cases are grouped by holder, the others by rank alone
    groups: Counter[tuple[int, str]] = Counter()
    for case in cases:
        if case.state == "closed":
            groups[(3, "")] += 1
        elif case.holder:
            groups[(0, case.holder)] += 1
        elif case.state == "needs_supervisor":
            groups[(1, "")] += 1
        else:
            groups[(2, "")] += 1
    return ", ".join(_group_text(rank).format(count=f"{n:,}", holder=holder)
                     for (rank, holder), n in sorted(groups.items()))


def _group_text(rank: int) -> str:
    if rank == 0:
        return translate("BulkChange", "{count} held by {holder}")
    if rank == 1:
        return translate("BulkChange", "{count} waiting for a supervisor")
    if rank == 2:
        return translate("BulkChange", "{count} in the pool")
    return translate("BulkChange", "{count} closed")


def _closed(cases: Sequence[CaseLike]) -> int:
    return sum(1 for c in cases if c.state == "closed")


def _tail(skipped: int, forced: int, holders: set[str]) -> str:
    parts = []
    if forced:
        names = ", ".join(sorted(holders))
        parts.append(translate(
            "BulkChange", "{cases} will be taken from {names}, who will see your reason."
        ).format(cases=_plural(forced), names=names))
    if skipped:
        parts.append(translate("BulkChange", "{cases} closed will stay as they are.").format(
            cases=_plural(skipped)))
    return (" " + " ".join(parts)) if parts else ""


def confirm_assign(cases: Sequence[CaseLike], to_user: str | None) -> Confirmation:
    """``to_user=None``: back to the pool."""
    taken = [c for c in cases if c.holder and c.holder != to_user and c.state != "closed"]
    skipped = _closed(cases)
    head = (translate("BulkChange", "Reassign {cases} ({whose}) to {user}?") if to_user
            else translate("BulkChange", "Return {cases} ({whose}) to the pool?")).format(
                cases=_plural(len(cases)), whose=whose(cases), user=to_user)
    tail = _tail(skipped, len(taken), {c.holder for c in taken if c.holder})
    return Confirmation(head + tail, forced=len(taken), skipped=skipped)


def confirm_priority(cases: Sequence[CaseLike], priority: int) -> Confirmation:
    head = translate("BulkChange", "Set the priority of {cases} ({whose}) to {priority}?"
                     ).format(cases=_plural(len(cases)), whose=whose(cases), priority=priority)
    return Confirmation(head, forced=0, skipped=0)
