"""How plain client objects are shown: Thimphu times, outcome labels, queue categories."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QDate
from PySide6.QtWidgets import QDateEdit

from cati_app.core.clock import as_utc, to_thimphu
from cati_app.core.outcomes import BY_KEY
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP

if TYPE_CHECKING:
    from cati_app.client.store.views import QueueItem


class QueueGroup(StrEnum):
    """What the enumerator sees in the queue's first column (DESIGN.md §3.3)."""

    # the values are English source text, translated where shown (group_label)
    APPOINTMENT = QT_TRANSLATE_NOOP("QueueGroup", "Appointment")
    CORRECTION = QT_TRANSLATE_NOOP("QueueGroup", "Correction")
    RETRY = QT_TRANSLATE_NOOP("QueueGroup", "Retry")
    FRESH = QT_TRANSLATE_NOOP("QueueGroup", "Fresh")
    LATER = QT_TRANSLATE_NOOP("QueueGroup", "Later")


def group_label(group: QueueGroup) -> str:
    """The queue category in the program's language."""
    return QCoreApplication.translate("QueueGroup", group.value)


# the groups that are "due now" for the counts line
DUE_GROUPS = (QueueGroup.APPOINTMENT, QueueGroup.CORRECTION, QueueGroup.RETRY, QueueGroup.FRESH)


def queue_group(case: QueueItem, now: datetime) -> QueueGroup:
    due = case.next_call_at is None or as_utc(case.next_call_at) <= as_utc(now)
    if case.returned_for_correction:
        return QueueGroup.CORRECTION
    if not due:
        return QueueGroup.LATER
    if case.appointment is not None:
        return QueueGroup.APPOINTMENT
    return QueueGroup.RETRY if case.attempt_count else QueueGroup.FRESH


def thimphu_time(when: datetime | None, *, with_date: bool = True) -> str:
    """``Tue 02 Jun 10:30`` in Asia/Thimphu; an empty string for no time."""
    if when is None:
        return ""
    local = to_thimphu(when)
    return local.strftime("%a %d %b %H:%M" if with_date else "%H:%M")


def day_text(day: date | None) -> str:
    return day.strftime("%d %b %Y") if day else QCoreApplication.translate("display", "unknown")


def outcome_label(key: str | None) -> str:
    if not key:
        return ""
    found = BY_KEY.get(key)
    return found.label if found else key


def language_name(code: str) -> str:
    """A respondent's or script's language in words (the code itself when unknown)."""
    names = {"en": QCoreApplication.translate("display", "English"),
             "dz": QCoreApplication.translate("display", "Dzongkha"),
             "tsj": QCoreApplication.translate("display", "Tshangla (Sharchop)"),
             "ne": QCoreApplication.translate("display", "Lhotshamkha (Nepali)"),
             "any": QCoreApplication.translate("display", "not known")}
    return names.get(code, code)


def python_date(day: QDate) -> date:
    """A date edit's day as a ``date`` (``QDate.toPython`` is typed to return ``object``)."""
    return date(day.year(), day.month(), day.day())


def date_edit(day: date) -> QDateEdit:
    """A day picker as the filters use it: ISO dates, a calendar to click."""
    edit = QDateEdit(QDate(day.year, day.month, day.day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit
