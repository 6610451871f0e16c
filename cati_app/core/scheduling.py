"""When may a case next be called (DESIGN.md §3.2 retry delays, §3.3 calling rules).

``plan_next_call`` turns a case's attempt history into a ``CallPlan``. It needs no clock: every
time it returns is derived from the attempts and the appointment, so one history gives one plan
on the server and on every client. Attempts are taken in time order; the first rule that
matches wins:

1. No attempts: open and fresh (``next_call_at`` None: callable in any window); an appointment
   booked for a fresh case is honoured as in 6. No phone number at all closes.
2. Any final outcome closes: "final outcome: <key>".
3. An outcome allowed only once (``once``: soft refusal) coded a second time closes.
4. Every number has had a wrong-number outcome: "all numbers wrong".
5. ``attempt_cap`` attempts made: "attempt cap reached". One AttemptRecord counts as one dial,
   whatever its outcome, so no plan ever leads to an attempt beyond the cap; the one exception
   is a language referral (``refers_language``): the respondent was reached and the case only
   needs another interviewer, so it spares the cap (issue 18).
6. The last attempt booked an appointment: call at the agreed time, moved to the next window
   start when it lies outside a window. Never spread (the respondent chose the time).
7. The last attempt was a wrong number: the next live number, at the next window start. A
   language referral: the same number, at once (the next window start).
8. Otherwise: last attempt + the retry delay of its outcome, moved to the next window start.

Spreading (applies to 7 and 8). The cap may close a case only after attempts in at least
``min_slots`` slots (morning/afternoon/evening, see ``calendar.slot_of``) and ``min_days`` local
days. Let remaining = cap - attempts made, and needed = max(slots missing, days missing) (one
attempt can add a slot and a day at once). When remaining <= needed, the next call goes to the
earliest callable instant, not before the normal retry time, that lies in an unused slot (if
slots are missing) on an unused local day (if days are missing). A calendar with no window in
any unused slot (a morning-only project) cannot satisfy the slot condition, so it is dropped
rather than leaving the case unplannable. With the defaults (cap 6, 2 slots, 2 days) this only
bites before the 6th attempt: five tries on one morning put the sixth on a later day, in the
afternoon or evening.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from types import MappingProxyType
from typing import Any

from cati_app.core import outcomes
from cati_app.core.calendar import SLOTS, CallingCalendar, NoCallingWindow, local_day, slot_of
from cati_app.core.clock import as_utc

#: a missed appointment stays reserved for (hard) or ranked as (soft) an appointment this long
#: after its time; then it becomes an ordinary due retry for anyone. 30 min covers an enumerator
#: finishing another interview, yet frees the case the same session.
DEFAULT_APPOINTMENT_GRACE = timedelta(minutes=30)
#: when an attempt says "appointment" but its AppointmentRecord has not arrived (the two sync
#: separately), retry like "respondent not available" rather than lose or crash the case
APPOINTMENT_FALLBACK = timedelta(hours=3)

APPOINTMENT_KINDS = ("hard", "soft")


def default_retry_delays() -> dict[str, timedelta]:
    """The catalogue's retry delay of every outcome that has one."""
    return {o.key: o.retry_delay for o in outcomes.OUTCOMES if o.retry_delay is not None}


@dataclass(frozen=True)
class CallingRules:
    """Per-project calling rules. ``retry_delays`` given here override the catalogue's."""

    calendar: CallingCalendar = field(default_factory=CallingCalendar)
    retry_delays: Mapping[str, timedelta] = field(default_factory=default_retry_delays)
    attempt_cap: int = 6
    min_slots: int = 2
    min_days: int = 2
    appointment_grace: timedelta = DEFAULT_APPOINTMENT_GRACE

    def __post_init__(self) -> None:
        if not isinstance(self.calendar, CallingCalendar):
            raise ValueError("calendar must be a CallingCalendar")
        delays = {**default_retry_delays(), **_checked_delays(self.retry_delays)}
        object.__setattr__(self, "retry_delays", MappingProxyType(delays))
        _check_int("attempt_cap", self.attempt_cap, 1, None)
        _check_int("min_slots", self.min_slots, 0, len(SLOTS))
        _check_int("min_days", self.min_days, 0, None)
        grace = self.appointment_grace
        if not isinstance(grace, timedelta) or grace < timedelta(0):
            raise ValueError(f"appointment_grace must be a duration >= 0, got {grace!r}")

    def __hash__(self) -> int:
        delays = tuple(sorted(self.retry_delays.items()))
        return hash((self.calendar, delays, self.attempt_cap, self.min_slots, self.min_days,
                     self.appointment_grace))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CallingRules:
        """Parse the project config; every key is optional (missing = default)::

            {"calendar": {...CallingCalendar.from_dict...},
             "retry_delays_minutes": {"no_answer": 180, "busy": 15},
             "attempt_cap": 6, "min_slots": 2, "min_days": 2, "appointment_grace_minutes": 30}
        """
        if not isinstance(d, Mapping):
            raise ValueError("calling rules must be an object")
        unknown = sorted(set(d) - set(_RULE_KEYS))
        if unknown:
            raise ValueError(f"calling rules: unknown key(s) {unknown}; expected {_RULE_KEYS}")
        kwargs: dict[str, Any] = {}
        if "calendar" in d:
            kwargs["calendar"] = CallingCalendar.from_dict(d["calendar"])
        if "retry_delays_minutes" in d:
            kwargs["retry_delays"] = _parse_delays(d["retry_delays_minutes"])
        for key in ("attempt_cap", "min_slots", "min_days"):
            if key in d:
                kwargs[key] = d[key]
        if "appointment_grace_minutes" in d:
            minutes = d["appointment_grace_minutes"]
            _check_int("appointment_grace_minutes", minutes, 0, None)
            kwargs["appointment_grace"] = timedelta(minutes=minutes)
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar.to_dict(),
            "retry_delays_minutes": {
                key: _minutes(delay) for key, delay in sorted(self.retry_delays.items())
            },
            "attempt_cap": self.attempt_cap,
            "min_slots": self.min_slots,
            "min_days": self.min_days,
            "appointment_grace_minutes": _minutes(self.appointment_grace),
        }


_RULE_KEYS = ("calendar", "retry_delays_minutes", "attempt_cap", "min_slots", "min_days",
              "appointment_grace_minutes")


@dataclass(frozen=True)
class AttemptRecord:
    """One dial of a case. ``phone_index`` is 0-based into the case's ordered numbers."""

    at: datetime
    outcome: str
    phone_index: int
    enumerator_id: int | None = None
    #: False for a call a supervisor dismissed (a former holder's late final outcome): it
    #: stays in the history and the attempt count but no longer decides the disposition or
    #: the next call (the server's case_plan filters on it; the plan itself never sees it)
    counts: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", as_utc(self.at))
        outcomes.outcome(self.outcome)  # an unknown key fails here, where it was made
        if self.phone_index < 0:
            raise ValueError(f"phone_index must be >= 0, got {self.phone_index}")


@dataclass(frozen=True)
class AppointmentRecord:
    """A call-back time. Hard: reserved for ``booked_by`` (a hard one with no booker cannot be
    reserved for anyone and is queued like a soft one). Soft: anyone may take it."""

    at: datetime
    kind: str
    booked_by: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", as_utc(self.at))
        if self.kind not in APPOINTMENT_KINDS:
            raise ValueError(f"appointment kind must be 'hard' or 'soft', got {self.kind!r}")


@dataclass(frozen=True)
class CallPlan:
    closed: bool
    #: None when closed, and for a fresh case (callable in any window)
    next_call_at: datetime | None
    phone_index: int
    reason: str
    #: the appointment this plan keeps, if any
    appointment: AppointmentRecord | None


def plan_next_call(
    attempts: Sequence[AttemptRecord],
    phone_count: int,
    rules: CallingRules,
    appointment: AppointmentRecord | None = None,
) -> CallPlan:
    """The next call of a case given its attempts (any order). See the module docstring."""
    if phone_count < 0:
        raise ValueError(f"phone_count must be >= 0, got {phone_count}")
    history = sorted(attempts, key=lambda a: a.at)
    if not history:
        return _plan_fresh(phone_count, rules, appointment)
    last = history[-1]
    closing = _closing_reason(history, phone_count, rules)
    if closing is not None:
        return CallPlan(True, None, last.phone_index, closing, None)
    phone = _next_phone(history, phone_count)
    assert phone is not None  # _closing_reason closes when no number is left
    kind = outcomes.outcome(last.outcome)
    if kind.books_appointment and appointment is not None:
        return _plan_appointment(appointment, phone, rules)
    earliest, reason = _retry_base(last, kind, phone, phone_count, rules)
    at = rules.calendar.next_window_start(earliest)
    notes = ["moved to the next calling window"] if at != earliest else []
    spread_at, spread_note = _spread(history, at, rules)
    if spread_note:
        notes.append(spread_note)
    return CallPlan(False, spread_at, phone, "; ".join([reason, *notes]), None)


def claimable_by(plan: CallPlan, now: datetime, calendar: CallingCalendar) -> bool:
    """May be handed out now: callable within the current calling window or, outside hours,
    within the next one, so a queue claimed in the evening is ready in the morning. Whether
    it is due yet is ``queue_order``'s question. The claim's SQL is this rule's twin
    (``server.services.sync.claim_order``, checked by tests/server/test_claim_order.py)."""
    if plan.closed:
        return False
    if plan.next_call_at is None:
        return True
    _, window_end = calendar.window_containing_or_next(now)
    return plan.next_call_at <= window_end


# --- rules -----------------------------------------------------------------------------------

def _plan_fresh(
    phone_count: int, rules: CallingRules, appointment: AppointmentRecord | None
) -> CallPlan:
    if phone_count == 0:
        return CallPlan(True, None, 0, "no phone number", None)
    if appointment is not None:
        return _plan_appointment(appointment, 0, rules)
    return CallPlan(False, None, 0, "fresh: not yet called", None)


def _closing_reason(
    history: Sequence[AttemptRecord], phone_count: int, rules: CallingRules
) -> str | None:
    kinds = [outcomes.outcome(a.outcome) for a in history]
    final = next((k for k in reversed(kinds) if k.final), None)
    if final is not None:
        return f"final outcome: {final.key}"
    counts = Counter(k.key for k in kinds if k.once)
    repeated = next((k for k in kinds if k.once and counts[k.key] > 1), None)
    if repeated is not None:
        return f"second {repeated.label.lower()}"
    if _next_phone(history, phone_count) is None:
        return "all numbers wrong" if phone_count else "no phone number"
    if len(dials(history)) >= rules.attempt_cap:
        return "attempt cap reached"
    return None


def dials(history: Sequence[AttemptRecord]) -> list[AttemptRecord]:
    """The attempts the cap counts: all but language referrals."""
    return [a for a in history if not outcomes.outcome(a.outcome).refers_language]


def _next_phone(history: Sequence[AttemptRecord], phone_count: int) -> int | None:
    """The number to dial next: the last one dialled unless it proved wrong, else the next live
    one after it (wrapping round), None when every number proved wrong."""
    dead = {a.phone_index for a in history if outcomes.outcome(a.outcome).try_next_number}
    start = history[-1].phone_index if history else 0
    if start >= phone_count:  # the case lost numbers since: start again from the first
        start = 0
    return next((i for i in chain(range(start, phone_count), range(start)) if i not in dead),
                None)


def _plan_appointment(appointment: AppointmentRecord, phone: int, rules: CallingRules) -> CallPlan:
    at = rules.calendar.next_window_start(appointment.at)
    reason = f"{appointment.kind} appointment"
    if at != appointment.at:
        reason += "; moved to the next calling window"
    return CallPlan(False, at, phone, reason, appointment)


def _retry_base(
    last: AttemptRecord, kind: outcomes.Outcome, phone: int, phone_count: int,
    rules: CallingRules,
) -> tuple[datetime, str]:
    """The earliest time the retry may happen, before calling windows and spreading."""
    if kind.try_next_number:
        return last.at, f"wrong number: try phone {phone + 1} of {phone_count}"
    if kind.refers_language:
        return last.at, "language barrier: for an enumerator who speaks the case's language"
    if kind.books_appointment:
        fallback = rules.retry_delays.get(kind.key, APPOINTMENT_FALLBACK)
        return last.at + fallback, f"appointment time unknown: retry in {describe_delay(fallback)}"
    delay = rules.retry_delays.get(kind.key)
    if delay is None:
        raise ValueError(f"no retry delay configured for outcome {kind.key!r}")
    return last.at + delay, f"{kind.label.lower()}: retry in {describe_delay(delay)}"


def _spread(
    history: Sequence[AttemptRecord], at: datetime, rules: CallingRules
) -> tuple[datetime, str | None]:
    used_slots = {slot_of(a.at) for a in history}
    used_days = {local_day(a.at) for a in history}
    missing_slots = max(0, rules.min_slots - len(used_slots))
    missing_days = max(0, rules.min_days - len(used_days))
    needed = max(missing_slots, missing_days)
    if needed == 0 or rules.attempt_cap - len(dials(history)) > needed:
        return at, None
    slots = [s for s in SLOTS if s not in used_slots] if missing_slots else None
    avoid = used_days if missing_days else set()
    try:
        moved = rules.calendar.next_callable_at(at, slots=slots, avoid_days=avoid)
    except NoCallingWindow:
        if slots is None:
            raise
        slots = None  # no window in any unused slot: spreading over days is all we can do
        moved = rules.calendar.next_callable_at(at, avoid_days=avoid)
    if moved == at:
        return at, None
    wanted = [w for w, on in (("a new slot", slots), ("a new day", avoid)) if on]
    return moved, f"moved to {' and '.join(wanted)} to spread attempts"


# --- helpers ---------------------------------------------------------------------------------

def describe_delay(delay: timedelta) -> str:
    """"7 days", "1 day", "3 h", "90 min"; the largest unit that divides it exactly."""
    seconds = int(delay.total_seconds())
    if seconds and seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day" if days == 1 else f"{days} days"
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds and seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def _checked_delays(delays: Mapping[str, timedelta]) -> dict[str, timedelta]:
    checked = {}
    for key, delay in delays.items():
        kind = outcomes.outcome(key)  # UnknownOutcome (a ValueError) names the valid keys
        if kind.final:
            raise ValueError(f"retry delay for {key!r}: a final outcome is never retried")
        if kind.try_next_number:
            raise ValueError(f"retry delay for {key!r}: a wrong number moves on to the next"
                             " number at once, without a delay")
        if not isinstance(delay, timedelta) or delay <= timedelta(0):
            raise ValueError(f"retry delay for {key!r} must be a positive duration, got {delay!r}")
        checked[key] = delay
    return checked


def _parse_delays(raw: Any) -> dict[str, timedelta]:
    if not isinstance(raw, Mapping):
        raise ValueError('retry_delays_minutes must be an object like {"no_answer": 180}')
    parsed = {}
    for key, minutes in raw.items():
        _check_int(f"retry_delays_minutes.{key}", minutes, 1, None)
        parsed[key] = timedelta(minutes=minutes)
    return parsed


def _check_int(name: str, value: Any, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be {bounds}, got {value}")


def _minutes(delay: timedelta) -> int | float:
    minutes = delay.total_seconds() / 60
    return int(minutes) if minutes == int(minutes) else minutes
