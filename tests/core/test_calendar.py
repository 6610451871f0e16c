"""Calling windows (DESIGN.md §3.3), at many explicit hours and days in Thimphu time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cati_app.core.calendar import (
    SLOTS,
    CallingCalendar,
    NoCallingWindow,
    default_windows,
    slot_of,
)
from cati_app.core.clock import THIMPHU, to_thimphu

# 2026-06-01 is a Monday; 06-06 a Saturday, 06-07 a Sunday; 2026-12-17 (National Day) a Thursday
MON, SAT, SUN = date(2026, 6, 1), date(2026, 6, 6), date(2026, 6, 7)
NATIONAL_DAY = date(2026, 12, 17)
CAL = CallingCalendar()


def lt(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """The UTC instant of a Thimphu wall-clock time."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=THIMPHU).astimezone(UTC)


def test_dates_used_here_are_the_weekdays_we_think():
    assert (MON.weekday(), SAT.weekday(), SUN.weekday(), NATIONAL_DAY.weekday()) == (0, 5, 6, 3)


@pytest.mark.parametrize(
    ("when", "callable_"),
    [
        (lt(MON, 8, 59, 59), False),
        (lt(MON, 9, 0), True),
        (lt(MON, 13, 30), True),
        (lt(MON, 19, 59, 59), True),
        (lt(MON, 20, 0), False),
        (lt(MON, 23, 30), False),
        (lt(SAT, 9, 0), True),
        (lt(SAT, 16, 59), True),
        (lt(SAT, 17, 0), False),
        (lt(SUN, 12, 0), False),
        (lt(date(2026, 6, 5), 19, 0), True),  # Friday evening
    ],
)
def test_default_windows(when, callable_):
    assert CAL.is_callable(when) is callable_


def test_local_time_is_thimphu_not_utc():
    # 03:00 UTC is 09:00 in Thimphu (callable); 09:00 UTC is 15:00 there (callable);
    # 14:30 UTC is 20:30 there (not callable) even though 14:30 looks like office hours
    assert CAL.is_callable(datetime(2026, 6, 1, 3, 0, tzinfo=UTC))
    assert not CAL.is_callable(datetime(2026, 6, 1, 2, 59, tzinfo=UTC))
    assert not CAL.is_callable(datetime(2026, 6, 1, 14, 30, tzinfo=UTC))


def test_naive_datetimes_are_taken_as_utc():
    assert CAL.is_callable(datetime(2026, 6, 1, 3, 0))
    assert not CAL.is_callable(datetime(2026, 6, 1, 14, 0))


def test_holiday_is_not_callable():
    cal = CallingCalendar(holidays=frozenset({NATIONAL_DAY}))
    assert CAL.is_callable(lt(NATIONAL_DAY, 10))
    assert not cal.is_callable(lt(NATIONAL_DAY, 10))
    assert cal.next_window_start(lt(NATIONAL_DAY, 10)) == lt(date(2026, 12, 18), 9)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (lt(MON, 8, 59), lt(MON, 9)),
        (lt(MON, 12, 34), lt(MON, 12, 34)),  # callable: itself
        (lt(MON, 20, 0), lt(date(2026, 6, 2), 9)),
        (lt(MON, 23, 59), lt(date(2026, 6, 2), 9)),
        (lt(date(2026, 6, 2), 0, 10), lt(date(2026, 6, 2), 9)),  # after midnight local
        (lt(SAT, 17, 0), lt(date(2026, 6, 8), 9)),  # skips Sunday
        (lt(SUN, 10, 0), lt(date(2026, 6, 8), 9)),
    ],
)
def test_next_window_start(when, expected):
    assert CAL.next_window_start(when) == expected
    assert CAL.next_window_start(when).tzinfo is not None
    assert CAL.next_window_start(when).utcoffset() == timedelta(0)


def test_next_window_start_skips_a_long_weekend():
    friday = date(2026, 6, 5)
    cal = CallingCalendar(holidays=frozenset({SAT, date(2026, 6, 8)}))
    assert cal.next_window_start(lt(friday, 20)) == lt(date(2026, 6, 9), 9)


def test_window_containing_or_next():
    assert CAL.window_containing_or_next(lt(MON, 15)) == (lt(MON, 9), lt(MON, 20))
    assert CAL.window_containing_or_next(lt(MON, 20)) == (
        lt(date(2026, 6, 2), 9), lt(date(2026, 6, 2), 20))
    assert CAL.window_containing_or_next(lt(SAT, 10)) == (lt(SAT, 9), lt(SAT, 17))


def test_several_windows_a_day_and_lunch_break():
    cal = CallingCalendar({0: ((time(9), time(12)), (time(14), time(18)))})
    assert cal.is_callable(lt(MON, 11, 59))
    assert not cal.is_callable(lt(MON, 12, 0))
    assert not cal.is_callable(lt(MON, 13, 59))
    assert cal.next_window_start(lt(MON, 12, 30)) == lt(MON, 14)
    assert cal.window_containing_or_next(lt(MON, 12, 30)) == (lt(MON, 14), lt(MON, 18))
    # Monday is the only calling day: the next one is a week later
    assert cal.next_window_start(lt(MON, 18)) == lt(date(2026, 6, 8), 9)


def test_touching_windows_are_merged():
    cal = CallingCalendar({0: ((time(12), time(20)), (time(9), time(12)))})
    assert cal.windows[0] == ((time(9), time(20)),)
    assert cal.window_containing_or_next(lt(MON, 11)) == (lt(MON, 9), lt(MON, 20))


def test_no_window_within_a_year_is_a_clear_error():
    every_day = frozenset(MON + timedelta(days=i) for i in range(400))
    cal = CallingCalendar(holidays=every_day)
    with pytest.raises(NoCallingWindow, match="no calling window"):
        cal.next_window_start(lt(MON, 10))
    with pytest.raises(NoCallingWindow):
        cal.window_containing_or_next(lt(MON, 10))


@pytest.mark.parametrize(
    ("hour", "minute", "slot"),
    [(0, 0, "morning"), (9, 0, "morning"), (11, 59, "morning"), (12, 0, "afternoon"),
     (16, 59, "afternoon"), (17, 0, "evening"), (19, 59, "evening"), (23, 59, "evening")],
)
def test_slot_of(hour, minute, slot):
    assert slot_of(lt(MON, hour, minute)) == slot
    assert CAL.slot_of(lt(MON, hour, minute)) == slot


def test_next_callable_at_in_a_slot_and_a_new_day():
    assert CAL.next_callable_at(lt(MON, 10), slots=["evening"]) == lt(MON, 17)
    assert CAL.next_callable_at(lt(MON, 10), slots=["afternoon", "evening"]) == lt(MON, 12)
    assert CAL.next_callable_at(lt(MON, 10), avoid_days=[MON]) == lt(date(2026, 6, 2), 9)
    tue_noon = lt(date(2026, 6, 2), 12)
    assert CAL.next_callable_at(lt(MON, 10), slots=["afternoon"], avoid_days=[MON]) == tue_noon
    # Saturday has no evening window: the next evening is Monday's
    assert CAL.next_callable_at(lt(SAT, 10), slots=["evening"]) == lt(date(2026, 6, 8), 17)
    with pytest.raises(ValueError, match="unknown slot"):
        CAL.next_callable_at(lt(MON, 10), slots=["night"])


# --- config ----------------------------------------------------------------------------------

def test_default_config_round_trips():
    d = CAL.to_dict()
    assert d["windows"]["mon"] == [["09:00", "20:00"]]
    assert d["windows"]["sat"] == [["09:00", "17:00"]]
    assert d["windows"]["sun"] == []
    assert d["holidays"] == []
    assert CallingCalendar.from_dict(d) == CAL
    assert CallingCalendar.from_dict({}) == CAL


def test_project_config():
    cal = CallingCalendar.from_dict({
        "windows": {"Mon": [["08:30", "12:00"], ["13:00", "18:00"]], "sat": [["10:00", "14:00"]]},
        "holidays": ["2026-12-17", "2027-02-18"],
    })
    assert cal.is_callable(lt(MON, 8, 30))
    assert not cal.is_callable(lt(MON, 12, 30))
    assert not cal.is_callable(lt(date(2026, 6, 2), 10))  # Tuesday not listed: no calling
    assert cal.holidays == frozenset({NATIONAL_DAY, date(2027, 2, 18)})
    assert CallingCalendar.from_dict(cal.to_dict()) == cal
    assert hash(CallingCalendar.from_dict(cal.to_dict())) == hash(cal)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"windows": {"monday": [["09:00", "20:00"]]}}, "unknown weekday 'monday'"),
        ({"windows": {"mon": [["9am", "20:00"]]}}, r"windows.mon\[0\]: '9am' is not a time"),
        ({"windows": {"mon": [["09:00", "24:00"]]}}, "cannot cross midnight"),
        ({"windows": {"mon": [["20:00", "09:00"]]}}, "must start before it ends"),
        ({"windows": {"mon": ["09:00-20:00"]}}, "expected"),
        ({"windows": {"mon": []}}, "no calling window on any weekday"),
        ({"windows": [["09:00", "20:00"]]}, "keyed by weekday"),
        ({"holidays": ["17/12/2026"]}, "'17/12/2026' is not a date"),
        ({"holidays": "2026-12-17"}, "list of dates"),
        ({"window": {}}, "unknown key"),
        (["not", "a", "dict"], "must be an object"),
    ],
)
def test_bad_config_is_a_clear_value_error(config, message):
    with pytest.raises(ValueError, match=message):
        CallingCalendar.from_dict(config)


def test_constructor_rejects_bad_weekday_and_windows():
    with pytest.raises(ValueError, match="weekday must be 0"):
        CallingCalendar({7: ((time(9), time(10)),)})
    with pytest.raises(ValueError, match="two times"):
        CallingCalendar({0: (("09:00", "10:00"),)})


def test_calendar_cannot_be_changed_through_the_dict_it_was_given():
    windows = default_windows()
    cal = CallingCalendar(windows)
    windows[6] = ((time(9), time(20)),)
    assert not cal.is_callable(lt(SUN, 10))
    with pytest.raises(TypeError):
        cal.windows[6] = ()  # type: ignore[index]


# --- properties ------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
holiday_sets = st.frozensets(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 1, 31)), max_size=30
)


@given(instants, holiday_sets)
def test_next_window_start_is_callable_and_nothing_earlier_is(t, holidays):
    cal = CallingCalendar(holidays=holidays)
    start = cal.next_window_start(t)
    assert start >= t
    assert cal.is_callable(start)
    if start > t:
        # the moment before the window opens is not callable: we found the *first* window
        assert not cal.is_callable(start - timedelta(microseconds=1))
        assert not cal.is_callable(t)
    local = to_thimphu(start)
    assert local.weekday() != 6
    assert local.date() not in holidays


@given(instants)
def test_window_contains_its_start_and_not_its_end(t):
    start, end = CAL.window_containing_or_next(t)
    assert start < end
    assert end > t
    assert CAL.is_callable(start)
    assert CAL.is_callable(end - timedelta(microseconds=1))
    assert not CAL.is_callable(end)
    assert CAL.is_callable(t) == (start <= t)


@given(instants, st.sets(st.sampled_from(SLOTS), min_size=1))
def test_next_callable_at_honours_the_slots(t, slots):
    at = CAL.next_callable_at(t, slots=slots, avoid_days={to_thimphu(t).date()})
    assert at > t
    assert CAL.is_callable(at)
    assert slot_of(at) in slots
    assert to_thimphu(at).date() != to_thimphu(t).date()
