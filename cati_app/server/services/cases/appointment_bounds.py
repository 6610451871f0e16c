"""Appointment times a person can have meant (issue 11, DESIGN.md §5), checked by the server
against its own clock (pydantic validation cannot see it) and used by both push paths.

An appointment more than ``appointment_horizon_days`` ahead (a mistyped year, a hostile
client parking a case for ever) or more than ``appointment_past_days`` behind the server's
time is refused: the item is ``rejected_invalid`` and kept in quarantine like every rejected
item. A recent past appointment (booked offline, pushed late) is accepted: it has simply been
missed and becomes a due retry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cati_app.core.clock import to_thimphu
from cati_app.server.settings import Settings


def appointment_problem(at: datetime | None, now: datetime, settings: Settings) -> str | None:
    """Why ``at`` cannot be an appointment, in words the enumerator can act on; None if fine."""
    if at is None:
        return None
    ahead = timedelta(days=settings.appointment_horizon_days)
    behind = timedelta(days=settings.appointment_past_days)
    shown = to_thimphu(at).strftime("%Y-%m-%d %H:%M")
    if at > now + ahead:
        return (f"appointment at {shown} (Thimphu) is more than "
                f"{settings.appointment_horizon_days:g} days ahead: check the date and book "
                "it again")
    if at < now - behind:
        return (f"appointment at {shown} (Thimphu) is more than "
                f"{settings.appointment_past_days:g} days in the past: check the date and "
                "book it again")
    return None
