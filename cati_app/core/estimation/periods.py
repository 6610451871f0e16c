"""Reporting periods (issue 16): calendar months, calendar quarters and the Bhutanese fiscal
year, which runs from 1 July to 30 June and is labelled by both years ("FY2026-27" is
1 July 2026 to 30 June 2027)."""

from __future__ import annotations

from datetime import date, timedelta

from cati_app.core.protocol_scorecard import PeriodKind

FISCAL_YEAR_FIRST_MONTH = 7


def period_of(day: date, kind: PeriodKind) -> str:
    """The label of the period ``day`` falls in: '2026-11', '2026-Q4' or 'FY2026-27'."""
    return label(_index(day, kind), kind)


def previous(period: str, kind: PeriodKind) -> str:
    return label(_parse(period, kind) - 1, kind)


def last_periods(day: date, kind: PeriodKind, count: int) -> list[str]:
    """The ``count`` periods ending with the one ``day`` falls in, oldest first."""
    last = _index(day, kind)
    return [label(i, kind) for i in range(last - count + 1, last + 1)]


def label(index: int, kind: PeriodKind) -> str:
    if kind == "month":
        return f"{index // 12:04d}-{index % 12 + 1:02d}"
    if kind == "quarter":
        return f"{index // 4:04d}-Q{index % 4 + 1}"
    return f"FY{index:04d}-{(index + 1) % 100:02d}"


def _index(day: date, kind: PeriodKind) -> int:
    """A running number for the period: consecutive periods differ by one."""
    if kind == "month":
        return day.year * 12 + day.month - 1
    if kind == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    # July–June: the fiscal year is named after the calendar year it starts in
    return day.year if day.month >= FISCAL_YEAR_FIRST_MONTH else day.year - 1


def _parse(period: str, kind: PeriodKind) -> int:
    try:
        if kind == "month":
            year, month = period.split("-")
            return int(year) * 12 + int(month) - 1
        if kind == "quarter":
            year, quarter = period.split("-Q")
            return int(year) * 4 + int(quarter) - 1
        return int(period.removeprefix("FY").split("-")[0])
    except ValueError:
        raise ValueError(f"{period!r} is not a {kind} label") from None


def first_day(period: str, kind: PeriodKind) -> date:
    """The first day of the period the label names."""
    index = _parse(period, kind)
    if kind == "month":
        return date(index // 12, index % 12 + 1, 1)
    if kind == "quarter":
        return date(index // 4, (index % 4) * 3 + 1, 1)
    return date(index, FISCAL_YEAR_FIRST_MONTH, 1)


def last_day(period: str, kind: PeriodKind) -> date:
    """The last day of the period the label names."""
    return first_day(label(_parse(period, kind) + 1, kind), kind) - timedelta(days=1)
