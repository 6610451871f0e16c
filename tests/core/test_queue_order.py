"""Queue order (DESIGN.md §3.3): appointments, corrections, due retries, fresh cases, the rest."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cati_app.core.clock import THIMPHU
from cati_app.core.queue_order import (
    QueueCategory,
    QueueEntry,
    order_queue,
    queue_category,
    queue_sort_key,
    reminders_due,
)
from cati_app.core.scheduling import AppointmentRecord, CallingRules

MON = date(2026, 6, 1)
RULES = CallingRules()  # grace 30 min
ME, OTHER = 7, 8


def lt(hour: int, minute: int = 0, day: date = MON) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=THIMPHU).astimezone(UTC)


NOW = lt(15)


def entry(case_id: int, *, priority: int = 50, next_call_at: datetime | None = None,
          last_called_at: datetime | None = None, date_availed: date | None = None,
          appointment: AppointmentRecord | None = None, returned: bool = False) -> QueueEntry:
    return QueueEntry(case_id, priority, next_call_at, last_called_at, date_availed, appointment,
                      returned)


def appt_entry(case_id: int, at: datetime, kind: str, booked_by: int | None = ME,
               **kwargs) -> QueueEntry:
    return entry(case_id, next_call_at=at, last_called_at=at - timedelta(days=1),
                 appointment=AppointmentRecord(at, kind, booked_by), **kwargs)


def category(e: QueueEntry, who: int | None = ME, now: datetime = NOW):
    return queue_category(e, now, who, RULES)


def test_category_numbers_are_the_sql_contract():
    assert [(c.name, int(c)) for c in QueueCategory] == [
        ("HARD_APPOINTMENT", 1), ("SOFT_APPOINTMENT", 2), ("RETURNED_FOR_CORRECTION", 3),
        ("RETRY_DUE", 4), ("FRESH", 5), ("NOT_YET_DUE", 6)]


def test_hard_appointment_is_visible_only_to_its_booker():
    e = appt_entry(1, lt(14, 50), "hard", booked_by=ME)
    assert category(e, ME) == QueueCategory.HARD_APPOINTMENT
    assert category(e, OTHER) is None
    assert category(e, None) is None  # not in the pool either
    assert order_queue([e], NOW, OTHER, RULES) == []
    with pytest.raises(ValueError, match="not in enumerator 8's queue"):
        queue_sort_key(e, NOW, OTHER, RULES)


def test_hard_appointment_not_yet_due_waits_for_its_booker_only():
    e = appt_entry(1, lt(16), "hard")
    assert category(e, ME) == QueueCategory.NOT_YET_DUE
    assert category(e, OTHER) is None


def test_grace_boundary_of_a_hard_appointment():
    e = appt_entry(1, lt(14, 30), "hard")
    assert category(e, OTHER, now=lt(14, 59)) is None
    assert category(e, ME, now=lt(14, 59)) == QueueCategory.HARD_APPOINTMENT
    # missed by the whole grace: a due retry for anyone, the booker included
    assert category(e, OTHER, now=lt(15)) == QueueCategory.RETRY_DUE
    assert category(e, ME, now=lt(15)) == QueueCategory.RETRY_DUE


def test_soft_appointment_is_for_anyone_and_a_missed_one_becomes_a_retry():
    e = appt_entry(1, lt(14, 45), "soft", booked_by=ME)
    assert category(e, OTHER) == QueueCategory.SOFT_APPOINTMENT
    assert category(e, OTHER, now=lt(14, 44)) == QueueCategory.NOT_YET_DUE
    assert category(e, OTHER, now=lt(15, 15)) == QueueCategory.RETRY_DUE


def test_hard_appointment_without_a_booker_is_treated_as_soft():
    e = appt_entry(1, lt(14, 50), "hard", booked_by=None)
    assert category(e, OTHER) == QueueCategory.SOFT_APPOINTMENT


def test_appointment_due_time_is_the_planned_time_moved_into_a_window():
    # agreed for 07:00, planned for 09:00 when the window opens
    e = entry(1, next_call_at=lt(9), last_called_at=lt(18, day=date(2026, 5, 29)),
              appointment=AppointmentRecord(lt(7), "soft", ME))
    assert category(e, now=lt(8, 30)) == QueueCategory.NOT_YET_DUE
    assert category(e, now=lt(9, 10)) == QueueCategory.SOFT_APPOINTMENT


def test_returned_for_correction_outranks_retries_whenever_due():
    e = entry(1, next_call_at=lt(18), last_called_at=lt(10), returned=True)
    assert category(e) == QueueCategory.RETURNED_FOR_CORRECTION
    missed = appt_entry(2, lt(13), "soft", returned=True)
    assert category(missed) == QueueCategory.RETURNED_FOR_CORRECTION
    hidden = appt_entry(3, lt(14, 50), "hard", booked_by=OTHER, returned=True)
    assert category(hidden) is None
    due = appt_entry(4, lt(14, 50), "soft", returned=True)
    assert category(due) == QueueCategory.SOFT_APPOINTMENT


def test_fresh_retry_and_not_yet_due():
    assert category(entry(1)) == QueueCategory.FRESH
    assert category(entry(1, next_call_at=lt(14))) == QueueCategory.FRESH
    assert category(entry(1, next_call_at=lt(16))) == QueueCategory.NOT_YET_DUE
    assert category(entry(1, next_call_at=lt(15), last_called_at=lt(12))) == (
        QueueCategory.RETRY_DUE)
    assert category(entry(1, next_call_at=lt(15, 1), last_called_at=lt(12))) == (
        QueueCategory.NOT_YET_DUE)


def test_full_queue_order():
    entries = [
        entry(10, next_call_at=lt(17), last_called_at=lt(14)),  # not yet due, later
        entry(11, next_call_at=lt(16), last_called_at=lt(13)),  # not yet due, sooner
        entry(20, priority=50, date_availed=date(2026, 5, 20)),
        entry(21, priority=50, date_availed=date(2026, 5, 28)),
        entry(22, priority=50, date_availed=None),
        entry(23, priority=90, date_availed=date(2026, 5, 1)),
        entry(30, priority=50, next_call_at=lt(12), last_called_at=lt(9)),
        entry(31, priority=80, next_call_at=lt(13), last_called_at=lt(10)),
        entry(32, priority=80, next_call_at=lt(14), last_called_at=lt(9)),
        entry(40, next_call_at=lt(18), last_called_at=lt(11), returned=True),
        appt_entry(50, lt(14, 45), "soft", booked_by=OTHER),
        appt_entry(51, lt(14, 40), "soft", booked_by=OTHER),
        appt_entry(60, lt(14, 50), "hard", booked_by=ME),
        appt_entry(61, lt(14, 50), "hard", booked_by=OTHER),  # hidden from me
        appt_entry(62, lt(13), "hard", booked_by=OTHER),  # missed: a retry for me too
    ]
    order = [e.case_id for e in order_queue(entries, NOW, ME, RULES)]
    # 62 was last called yesterday, before 30 (this morning): less recently called first
    assert order == [60, 51, 50, 40, 32, 31, 62, 30, 23, 21, 20, 22, 11, 10]
    other = [e.case_id for e in order_queue(entries, NOW, OTHER, RULES)]
    assert other[:4] == [61, 51, 50, 40]
    assert 60 not in other


def test_missed_appointment_ranks_among_retries_by_priority_then_last_call():
    missed = appt_entry(1, lt(13), "soft", priority=90)
    retry = entry(2, priority=50, next_call_at=lt(14), last_called_at=lt(8))
    assert [e.case_id for e in order_queue([retry, missed], NOW, ME, RULES)] == [1, 2]


def test_equal_entries_are_ordered_by_case_id():
    entries = [entry(3), entry(1), entry(2)]
    assert [e.case_id for e in order_queue(entries, NOW, ME, RULES)] == [1, 2, 3]


def test_reminders_a_few_minutes_before_appointments():
    entries = [
        appt_entry(1, lt(15, 3), "hard"),
        appt_entry(2, lt(15, 5), "soft"),
        appt_entry(3, lt(15, 6), "soft"),  # too early for a reminder
        appt_entry(4, lt(14, 59), "soft"),  # already due: in the queue, no reminder
        entry(5, next_call_at=lt(15, 2), last_called_at=lt(12)),  # a retry, not an appointment
        appt_entry(6, lt(15), "soft"),
    ]
    assert [e.case_id for e in reminders_due(entries, NOW)] == [6, 1, 2]
    assert [e.case_id for e in reminders_due(entries, NOW, lead=timedelta(minutes=10))] == [
        6, 1, 2, 3]


# --- properties ------------------------------------------------------------------------------

times = st.integers(-600, 600).map(lambda m: NOW + timedelta(minutes=m))
enumerators = st.sampled_from([ME, OTHER, 9])
appointments = st.builds(AppointmentRecord, times, st.sampled_from(["hard", "soft"]),
                         st.none() | enumerators)


@st.composite
def queues(draw) -> list[QueueEntry]:
    raw = draw(st.lists(st.tuples(
        st.integers(0, 100), st.none() | times, st.none() | times,
        st.none() | st.dates(date(2026, 1, 1), date(2026, 6, 1)), st.none() | appointments,
        st.booleans(),
    ), max_size=25))
    out = []
    for case_id, (prio, nxt, last, availed, appt, returned) in enumerate(raw):
        if appt is not None:
            nxt = appt.at if draw(st.booleans()) else nxt
        out.append(QueueEntry(case_id, prio, nxt, last, availed, appt, returned))
    return out


@settings(max_examples=300)
@given(queues(), enumerators, times)
def test_someone_elses_hard_appointment_within_grace_is_never_offered(entries, who, now):
    for e in order_queue(entries, now, who, RULES):
        a = e.appointment
        if a is not None and a.kind == "hard" and a.booked_by not in (None, who):
            due = e.next_call_at or a.at
            assert now >= due + RULES.appointment_grace


@settings(max_examples=300)
@given(queues(), enumerators, times, st.randoms(use_true_random=False))
def test_order_is_total_and_follows_the_categories(entries, who, now, rnd):
    ordered = order_queue(entries, now, who, RULES)
    keys = [queue_sort_key(e, now, who, RULES) for e in ordered]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)  # total: no two entries tie
    cats = [queue_category(e, now, who, RULES) for e in ordered]
    assert cats == sorted(cats)
    assert all(k[0] == c for k, c in zip(keys, cats, strict=True))
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert order_queue(shuffled, now, who, RULES) == ordered
    hidden = [e for e in entries if queue_category(e, now, who, RULES) is None]
    assert len(ordered) + len(hidden) == len(entries)
