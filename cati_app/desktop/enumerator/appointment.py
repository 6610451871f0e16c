"""Booking a call-back: date and time in Asia/Thimphu, checked against the calling windows."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from PySide6.QtCore import QCoreApplication, QDate, QTime
from PySide6.QtWidgets import QComboBox, QDateEdit, QFormLayout, QTimeEdit, QWidget

from cati_app.core.calendar import CallingCalendar, NoCallingWindow, at_local
from cati_app.core.clock import as_utc, to_thimphu
from cati_app.desktop.display import python_date, thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP

# lupdate finds translate("Context", "text") calls by this name
translate = QCoreApplication.translate

KINDS = (("soft", QT_TRANSLATE_NOOP("AppointmentEditor", "Soft: anyone may call back")),
         ("hard", QT_TRANSLATE_NOOP("AppointmentEditor", "Hard: reserved for me")))


class AppointmentRefused(ValueError):
    """The chosen time cannot be booked; the message says why and what would work."""


def check_appointment(at: datetime, now: datetime, calendar: CallingCalendar) -> datetime:
    """``at`` in UTC when it is in the future and inside a calling window, else refused."""
    at = as_utc(at)
    if at <= as_utc(now):
        raise AppointmentRefused(
            translate("AppointmentEditor", "{time} has already passed; choose a later time")
            .format(time=thimphu_time(at)))
    if not calendar.is_callable(at):
        raise AppointmentRefused(
            translate("AppointmentEditor", "{time} is outside the calling windows. {hint}").format(
                time=thimphu_time(at), hint=_next_window_hint(at, calendar)))
    return at


def _next_window_hint(at: datetime, calendar: CallingCalendar) -> str:
    try:
        start = calendar.next_callable_at(at)
    except NoCallingWindow as error:
        return str(error)
    return translate("AppointmentEditor",
                     "The next calling window opens {time} (Thimphu time).").format(
        time=thimphu_time(start))


class AppointmentEditor(QWidget):
    """Date, time (Thimphu wall clock, whatever the computer's own time zone) and kind."""

    def __init__(self, now: datetime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        suggestion = to_thimphu(now) + timedelta(hours=1)
        self.date_edit = QDateEdit(QDate(suggestion.year, suggestion.month, suggestion.day))
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd dd MMM yyyy")
        self.time_edit = QTimeEdit(QTime(suggestion.hour, 0))
        self.time_edit.setDisplayFormat("HH:mm")
        self.kind = QComboBox()
        for key, label in KINDS:
            self.kind.addItem(self.tr(label), key)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("Call back on"), self.date_edit)
        form.addRow(self.tr("at (Thimphu time)"), self.time_edit)
        form.addRow(self.tr("Kind"), self.kind)

    def set_local(self, when: datetime) -> None:
        """Show a Thimphu wall-clock time (naive or aware; aware is converted)."""
        local = to_thimphu(when) if when.tzinfo else when
        self.date_edit.setDate(QDate(local.year, local.month, local.day))
        self.time_edit.setTime(QTime(local.hour, local.minute))

    def chosen_at(self) -> datetime:
        wall = self.time_edit.time()
        return at_local(python_date(self.date_edit.date()), time(wall.hour(), wall.minute()))

    def chosen_kind(self) -> str:
        return str(self.kind.currentData())
