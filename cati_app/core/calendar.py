"""Calling windows: when a respondent may be phoned (DESIGN.md §3.3).

Windows are wall-clock times in Asia/Thimphu (UTC+6, no daylight saving), per weekday, with
public holidays excluded. Everything that goes in or out of this module is a UTC datetime; a
naive datetime is taken as UTC (see ``clock.as_utc``). A window is half-open: it includes its
start and excludes its end, so 20:00:00 is outside a 09:00-20:00 window and 19:59:59 is inside.

Windows never cross midnight (the project config cannot express 24:00); windows of one day that
overlap or touch are merged, so "the end of the window" is always the moment calling stops.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any

from cati_app.core.clock import THIMPHU, as_utc, to_thimphu

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOTS: tuple[str, ...] = ("morning", "afternoon", "evening")
#: local wall-clock start of each slot; a slot runs until the next one starts (evening: midnight)
SLOT_STARTS: tuple[time, ...] = (time(0), time(12), time(17))
#: how far ahead a search for a calling window looks before giving up
SEARCH_DAYS = 366

Window = tuple[time, time]

_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class NoCallingWindow(ValueError):
    """The calendar has no calling window in the next ``SEARCH_DAYS`` days."""


def default_windows() -> dict[int, tuple[Window, ...]]:
    """Mon-Fri 09:00-20:00, Sat 09:00-17:00, no Sunday calls."""
    weekday = ((time(9), time(20)),)
    return {0: weekday, 1: weekday, 2: weekday, 3: weekday, 4: weekday,
            5: ((time(9), time(17)),), 6: ()}


def slot_of(t: datetime) -> str:
    """"morning" before 12:00 local, "afternoon" 12:00-16:59, "evening" from 17:00."""
    local = to_thimphu(t).time()
    if local < SLOT_STARTS[1]:
        return "morning"
    if local < SLOT_STARTS[2]:
        return "afternoon"
    return "evening"


def local_day(t: datetime) -> date:
    """The Thimphu day of a UTC instant (00:30 in Thimphu is 18:30 UTC the day before)."""
    return to_thimphu(t).date()


def at_local(day: date, wall: time) -> datetime:
    """The UTC instant of a Thimphu wall-clock time."""
    return datetime.combine(day, wall, tzinfo=THIMPHU).astimezone(UTC)


def slot_range(day: date, slot: str) -> tuple[datetime, datetime]:
    """UTC start and (exclusive) end of a slot on a local day."""
    i = SLOTS.index(slot)
    start = at_local(day, SLOT_STARTS[i])
    if i + 1 < len(SLOTS):
        end = at_local(day, SLOT_STARTS[i + 1])
    else:  # the evening runs to midnight
        end = at_local(day + timedelta(days=1), time(0))
    return start, end


@dataclass(frozen=True)
class CallingCalendar:
    """Weekly calling windows (0 = Monday) in Thimphu local time, minus holidays."""

    windows: Mapping[int, tuple[Window, ...]] = field(default_factory=default_windows)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        # Normalise into read-only, sorted, merged windows so equal calendars compare and hash
        # equal and nobody can change a "frozen" calendar through the dict they passed in.
        object.__setattr__(self, "windows", MappingProxyType(_normalise_week(self.windows)))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        if not any(self.windows.values()):
            raise ValueError("calling calendar has no calling window on any weekday")

    def __hash__(self) -> int:
        return hash((tuple(self.windows.items()), self.holidays))

    # --- queries ---------------------------------------------------------------------------

    def is_callable(self, t: datetime) -> bool:
        local = to_thimphu(t)
        if local.date() in self.holidays:
            return False
        wall = local.time()
        return any(start <= wall < end for start, end in self.windows[local.weekday()])

    def windows_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The UTC (start, end) of each window on a local day; none on a holiday."""
        if day in self.holidays:
            return []
        return [(at_local(day, s), at_local(day, e)) for s, e in self.windows[day.weekday()]]

    def iter_windows(self, t: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Windows that end after ``t``, in order, for up to ``SEARCH_DAYS`` days ahead."""
        t = as_utc(t)
        first = local_day(t)
        for offset in range(SEARCH_DAYS + 1):
            for start, end in self.windows_on(first + timedelta(days=offset)):
                if end > t:
                    yield start, end

    def window_containing_or_next(self, t: datetime) -> tuple[datetime, datetime]:
        """The window ``t`` is in (its real start may be before ``t``), else the next one."""
        for window in self.iter_windows(t):
            return window
        raise self._nothing_after(t)

    def next_window_start(self, t: datetime) -> datetime:
        """``t`` itself when callable, else the start of the next calling window."""
        return self.next_callable_at(t)

    def next_callable_at(
        self,
        t: datetime,
        *,
        slots: Iterable[str] | None = None,
        avoid_days: Iterable[date] = (),
    ) -> datetime:
        """The earliest callable instant >= ``t`` that falls in one of ``slots`` (all when
        None) on a local day not in ``avoid_days``. Used to spread attempts over slots/days."""
        t = as_utc(t)
        wanted = SLOTS if slots is None else _check_slots(slots)
        avoid = frozenset(avoid_days)
        for start, end in self.iter_windows(t):
            day = local_day(start)
            if day in avoid:
                continue
            lower = max(start, t)
            # SLOTS is chronological, so the first slot that overlaps the window is the earliest
            for slot in wanted:
                slot_start, slot_end = slot_range(day, slot)
                candidate = max(lower, slot_start)
                if candidate < min(end, slot_end):
                    return candidate
        raise self._nothing_after(t)

    @staticmethod
    def slot_of(t: datetime) -> str:
        return slot_of(t)

    def _nothing_after(self, t: datetime) -> NoCallingWindow:
        return NoCallingWindow(
            f"no calling window in the {SEARCH_DAYS} days after {as_utc(t):%Y-%m-%d %H:%M} UTC"
            " (check the project's calling windows and holidays)"
        )

    # --- config ----------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CallingCalendar:
        """Parse ``{"windows": {"mon": [["09:00", "20:00"]], ...}, "holidays": ["2026-12-17"]}``.

        A missing "windows" means the default week; when given, it replaces the whole week and
        a weekday it does not list has no calling (explicit beats half-merged defaults).
        """
        if not isinstance(d, Mapping):
            raise ValueError("calling calendar must be an object with 'windows' and 'holidays'")
        unknown = sorted(set(d) - {"windows", "holidays"})
        if unknown:
            raise ValueError(
                f"calling calendar: unknown key(s) {unknown}; expected 'windows', 'holidays'"
            )
        windows = _parse_week(d["windows"]) if "windows" in d else default_windows()
        return cls(windows, _parse_holidays(d.get("holidays", [])))

    def to_dict(self) -> dict[str, Any]:
        return {
            "windows": {
                name: [[_format_time(s), _format_time(e)] for s, e in self.windows[i]]
                for i, name in enumerate(WEEKDAYS)
            },
            "holidays": [day.isoformat() for day in sorted(self.holidays)],
        }


# --- validation and parsing helpers --------------------------------------------------------

def _normalise_week(windows: Mapping[int, Iterable[Window]]) -> dict[int, tuple[Window, ...]]:
    week: dict[int, tuple[Window, ...]] = {i: () for i in range(7)}
    for weekday, day_windows in windows.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
        week[weekday] = _merge(weekday, day_windows)
    return week


def _merge(weekday: int, day_windows: Iterable[Window]) -> tuple[Window, ...]:
    checked = []
    for window in day_windows:
        try:
            start, end = window
        except (TypeError, ValueError):
            raise ValueError(f"{WEEKDAYS[weekday]}: window {window!r} must be two times") from None
        if not isinstance(start, time) or not isinstance(end, time):
            raise ValueError(f"{WEEKDAYS[weekday]}: window {window!r} must be two times")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"{WEEKDAYS[weekday]}: window times are local wall-clock, no tzinfo")
        if not start < end:
            raise ValueError(
                f"{WEEKDAYS[weekday]}: window {_format_time(start)}-{_format_time(end)} must"
                " start before it ends (windows cannot cross midnight)"
            )
        checked.append((start, end))
    merged: list[Window] = []
    for start, end in sorted(checked):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _parse_week(raw: Any) -> dict[int, tuple[Window, ...]]:
    if not isinstance(raw, Mapping):
        raise ValueError("windows must be an object keyed by weekday ('mon' ... 'sun')")
    week: dict[int, tuple[Window, ...]] = {}
    for key, day_windows in raw.items():
        name = str(key).strip().lower()
        if name not in WEEKDAYS:
            raise ValueError(f"windows: unknown weekday {key!r}; use one of {', '.join(WEEKDAYS)}")
        weekday = WEEKDAYS.index(name)
        if weekday in week:
            raise ValueError(f"windows: weekday {name!r} given twice")
        week[weekday] = tuple(_parse_window(name, i, w) for i, w in enumerate(day_windows or []))
    return week


def _parse_window(day: str, index: int, raw: Any) -> Window:
    where = f"windows.{day}[{index}]"
    if isinstance(raw, str) or not isinstance(raw, list | tuple) or len(raw) != 2:
        raise ValueError(f'{where}: expected ["HH:MM", "HH:MM"], got {raw!r}')
    return _parse_time(raw[0], where), _parse_time(raw[1], where)


def _parse_time(raw: Any, where: str) -> time:
    match = _TIME_RE.match(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        raise ValueError(f"{where}: {raw!r} is not a time of day (HH:MM)")
    hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return time(hour, minute, second)
    except ValueError:
        raise ValueError(
            f"{where}: {raw!r} is not a time of day (00:00-23:59; windows cannot cross midnight)"
        ) from None


def _parse_holidays(raw: Any) -> frozenset[date]:
    if isinstance(raw, str) or not isinstance(raw, list | tuple | set | frozenset):
        raise ValueError('holidays must be a list of dates like ["2026-12-17"]')
    days = set()
    for item in raw:
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
            continue
        try:
            days.add(date.fromisoformat(item))
        except (TypeError, ValueError):
            raise ValueError(f"holidays: {item!r} is not a date (YYYY-MM-DD)") from None
    return frozenset(days)


def _check_slots(slots: Iterable[str]) -> tuple[str, ...]:
    wanted = set(slots)
    unknown = wanted - set(SLOTS)
    if unknown:
        raise ValueError(f"unknown slot(s) {sorted(unknown)}; expected {', '.join(SLOTS)}")
    return tuple(s for s in SLOTS if s in wanted)


def _format_time(t: time) -> str:
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")
