"""Is a time a device reports plausible? (issue 10, "Time"; DESIGN.md §4 "Late and moved work")

The desktop records times already corrected by the server clock offset it measures at each
sync, so a correct device reports times at or before the moment the server receives them.
A time later than the receipt by more than a small tolerance can only come from a clock that
is ahead (a computer set to the wrong day, a dead CMOS battery); an interview that ends before
it starts, or a call made before the case existed, likewise. Such an item is stored as sent
(G4) and flagged for a supervisor; the rules then read it at the server's time of receipt,
never at the device's impossible time, so one wrong clock cannot push a case's plan a day out
or make a real appointment booked later look older than it.

Pure: every time comes in as an argument (the server passes its own clock's "now").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cati_app.core.clock import as_utc, to_thimphu

#: the default tolerance for a device clock that is a little ahead of the server's
DEFAULT_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class TimeCheck:
    #: the time the calling rules read: the device's start, or the receipt when that is
    #: implausible
    effective_at: datetime
    #: what a supervisor reads; empty when everything is plausible
    flags: list[str] = field(default_factory=list)
    #: the appointment the rules plan with: as booked, or moved back by as much as the
    #: device's clock was evidently ahead (it was booked on that clock)
    appointment_at: datetime | None = None


def check_times(started_at: datetime, ended_at: datetime | None, *, received_at: datetime,
                tolerance: timedelta = DEFAULT_TOLERANCE, not_before: datetime | None = None,
                appointment_at: datetime | None = None) -> TimeCheck:
    """Check a call's or interview's device times against the server's receipt.

    ``not_before``: no call can have started before it (the server passes a margin before
    the case came into being: a clock far behind, say reset to a past year)."""
    started_at, received_at = as_utc(started_at), as_utc(received_at)
    ended = as_utc(ended_at) if ended_at is not None else None
    flags: list[str] = []
    implausible_start = False
    ahead = started_at - received_at
    if ahead > tolerance:
        implausible_start = True
        flags.append(f"started {_span(ahead)} after the server received it "
                     f"({_local(started_at)}): the device clock is ahead; planned from the "
                     "time of receipt")
    elif ended is not None and ended - received_at > tolerance:
        flags.append(f"ended {_span(ended - received_at)} after the server received it "
                     f"({_local(ended)}): the device clock is ahead")
    if ended is not None and ended < started_at:
        flags.append(f"ends before it starts ({_local(ended)} before {_local(started_at)})")
    if not_before is not None and started_at < as_utc(not_before):
        implausible_start = True
        flags.append(f"started before the case existed ({_local(started_at)}): the device "
                     "clock is behind; planned from the time of receipt")
    planned = as_utc(appointment_at) if appointment_at is not None else None
    if planned is not None and ahead > tolerance:
        # "call me in two hours" was typed on the same wrong clock: move it back with it
        booked, planned = planned, planned - ahead
        flags.append(f"appointment booked on that clock for {_local(booked)}: "
                     f"planned for {_local(planned)}")
    return TimeCheck(received_at if implausible_start else started_at, flags, planned)


def _local(when: datetime) -> str:
    return f"{to_thimphu(when):%Y-%m-%d %H:%M} Thimphu"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes >= 48 * 60:
        return f"{minutes // (24 * 60)} days"
    if minutes >= 120:
        return f"{minutes // 60} h"
    return f"{minutes} min"
