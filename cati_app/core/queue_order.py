"""The order in which an enumerator's queue offers cases (DESIGN.md §3.3).

Categories, best first (the numbers are part of the contract: the server mirrors them as SQL):

1. HARD_APPOINTMENT: a hard appointment whose time has come, within ``appointment_grace``; only
   its booker sees it.
2. SOFT_APPOINTMENT: a soft appointment whose time has come, within the grace.
3. RETURNED_FOR_CORRECTION: an interview a supervisor sent back. Offered at once whatever its
   next_call_at: the supervisor asked for the work now.
4. RETRY_DUE: a case already called whose next_call_at has come (or is None), and every
   appointment missed by more than the grace, for anyone (missed appointments are not lost).
5. FRESH: never called, due (next_call_at None or past).
6. NOT_YET_DUE: everything else, by when it falls due; an appointment not yet due is here too,
   a hard one only for its booker.

Hidden (category None): someone else's hard appointment until its grace has passed. A hard
appointment with no booker cannot be reserved, so it is treated as soft.

Within a category (ties broken by case_id so the order is total and stable everywhere):
appointments by due time, then priority; corrections and retries by priority (high first), then
least recently called (never called first); fresh cases by priority, then most recent
date_availed first (unknown last); not yet due by due time, then priority.

"Due" is a question of time only; whether ``now`` is inside a calling window is asked
separately, so the queue looks the same just before and just after the window opens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import IntEnum

from cati_app.core.clock import as_utc
from cati_app.core.scheduling import AppointmentRecord, CallingRules

REMINDER_LEAD = timedelta(minutes=5)


class QueueCategory(IntEnum):
    HARD_APPOINTMENT = 1
    SOFT_APPOINTMENT = 2
    RETURNED_FOR_CORRECTION = 3
    RETRY_DUE = 4
    FRESH = 5
    NOT_YET_DUE = 6


@dataclass(frozen=True)
class QueueEntry:
    case_id: int
    priority: int
    #: from the case's CallPlan; for an appointment, the appointment time moved into a window
    next_call_at: datetime | None
    last_called_at: datetime | None
    date_availed: date | None
    appointment: AppointmentRecord | None
    returned_for_correction: bool = False


def appointment_due_at(entry: QueueEntry) -> datetime | None:
    """When the entry's appointment falls due: its planned call time, else the agreed time."""
    if entry.appointment is None:
        return None
    return as_utc(entry.next_call_at) if entry.next_call_at else entry.appointment.at


def queue_category(
    entry: QueueEntry, now: datetime, enumerator_id: int | None, rules: CallingRules
) -> QueueCategory | None:
    """The entry's category for this enumerator at ``now``; None: not in their queue."""
    now = as_utc(now)
    if entry.appointment is not None:
        category = _appointment_category(entry, now, enumerator_id, rules)
        # a correction request outranks a missed or future appointment, not a due or hidden one
        if (category is None or category < QueueCategory.RETURNED_FOR_CORRECTION
                or not entry.returned_for_correction):
            return category
    if entry.returned_for_correction:
        return QueueCategory.RETURNED_FOR_CORRECTION
    if entry.next_call_at is not None and as_utc(entry.next_call_at) > now:
        return QueueCategory.NOT_YET_DUE
    if entry.last_called_at is None:
        return QueueCategory.FRESH
    return QueueCategory.RETRY_DUE


def queue_sort_key(
    entry: QueueEntry, now: datetime, enumerator_id: int | None, rules: CallingRules
) -> tuple[int, float, float, int]:
    """An ascending sort key: category first, then the rule of that category, then case_id.

    Every component is a number so keys of different entries always compare (the SQL mirror
    can use the same columns). Raises ValueError for an entry hidden from this enumerator.
    """
    key = _sort_key(entry, now, enumerator_id, rules)
    if key is None:
        raise ValueError(f"case {entry.case_id} is not in enumerator {enumerator_id}'s queue")
    return key


def _sort_key(
    entry: QueueEntry, now: datetime, enumerator_id: int | None, rules: CallingRules
) -> tuple[int, float, float, int] | None:
    category = queue_category(entry, now, enumerator_id, rules)
    if category is None:
        return None
    by_priority = -float(entry.priority)
    if category in (QueueCategory.HARD_APPOINTMENT, QueueCategory.SOFT_APPOINTMENT):
        return (category, _ts(appointment_due_at(entry)), by_priority, entry.case_id)
    if category in (QueueCategory.RETURNED_FOR_CORRECTION, QueueCategory.RETRY_DUE):
        return (category, by_priority, _ts(entry.last_called_at), entry.case_id)
    if category is QueueCategory.FRESH:
        newest_first = -float(entry.date_availed.toordinal()) if entry.date_availed else _LAST
        return (category, by_priority, newest_first, entry.case_id)
    due = appointment_due_at(entry) or entry.next_call_at
    return (category, _ts(due), by_priority, entry.case_id)


def order_queue(
    entries: Iterable[QueueEntry], now: datetime, enumerator_id: int | None, rules: CallingRules
) -> list[QueueEntry]:
    """The entries this enumerator may see, best first (hidden entries are left out)."""
    # each entry's category once (a 10,000-case queue is ordered at every refresh); keys end
    # in the case_id, so no two are equal and the entries themselves are never compared
    keyed = [(key, e) for e in entries
             if (key := _sort_key(e, now, enumerator_id, rules)) is not None]
    keyed.sort(key=lambda pair: pair[0])
    return [entry for _, entry in keyed]


def reminders_due(
    entries: Iterable[QueueEntry], now: datetime, lead: timedelta = REMINDER_LEAD
) -> list[QueueEntry]:
    """Appointments falling due from ``now`` to ``now + lead`` inclusive, soonest first.

    Meant for the cases an enumerator holds; it does not filter by booker."""
    now = as_utc(now)
    soon = [e for e in entries if (due := appointment_due_at(e)) and now <= due <= now + lead]
    return sorted(soon, key=lambda e: (appointment_due_at(e), e.case_id))


# --- helpers ---------------------------------------------------------------------------------

_LAST = float("inf")


def _appointment_category(
    entry: QueueEntry, now: datetime, enumerator_id: int | None, rules: CallingRules
) -> QueueCategory | None:
    appointment = entry.appointment
    assert appointment is not None
    due = appointment_due_at(entry)
    assert due is not None
    if now >= due + rules.appointment_grace:
        return QueueCategory.RETRY_DUE  # missed: a due retry for anyone, never lost
    reserved = appointment.kind == "hard" and appointment.booked_by is not None
    if reserved and appointment.booked_by != enumerator_id:
        return None
    if now < due:
        return QueueCategory.NOT_YET_DUE
    return QueueCategory.HARD_APPOINTMENT if reserved else QueueCategory.SOFT_APPOINTMENT


def _ts(when: datetime | None) -> float:
    """Seconds since the epoch; None sorts first (never called = least recently called)."""
    return as_utc(when).timestamp() if when is not None else float("-inf")
