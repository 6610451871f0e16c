"""When a case may next be called (DESIGN.md §3.2 retry delays, §3.3 calling rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cati_app.core.calendar import CallingCalendar, local_day, slot_of
from cati_app.core.clock import THIMPHU, FixedClock
from cati_app.core.outcomes import OUTCOMES, UnknownOutcome
from cati_app.core.scheduling import (
    DEFAULT_APPOINTMENT_GRACE,
    AppointmentRecord,
    AttemptRecord,
    CallingRules,
    CallPlan,
    claimable_by,
    describe_delay,
    plan_next_call,
)

MON, TUE, WED = date(2026, 6, 1), date(2026, 6, 2), date(2026, 6, 3)
SAT, SUN, NEXT_MON = date(2026, 6, 6), date(2026, 6, 7), date(2026, 6, 8)
RULES = CallingRules()
TEMPORARY_RETRIES = ("no_answer", "busy", "unreachable", "voicemail", "not_available")


def lt(day: date, hour: int, minute: int = 0) -> datetime:
    """The UTC instant of a Thimphu wall-clock time."""
    return datetime.combine(day, time(hour, minute), tzinfo=THIMPHU).astimezone(UTC)


def att(at: datetime, outcome: str, phone: int = 0) -> AttemptRecord:
    return AttemptRecord(at, outcome, phone)


def plan(attempts, phones: int = 1, rules: CallingRules = RULES, appointment=None) -> CallPlan:
    return plan_next_call(attempts, phones, rules, appointment)


# --- basics ----------------------------------------------------------------------------------

def test_fresh_case_is_open_and_callable_in_any_window():
    p = plan([], phones=2)
    assert p == CallPlan(False, None, 0, "fresh: not yet called", None)


def test_case_without_a_number_is_closed():
    assert plan([], phones=0).closed
    assert plan([], phones=0).reason == "no phone number"


def test_no_answer_retries_after_three_hours():
    p = plan([att(lt(MON, 10), "no_answer")])
    assert not p.closed
    assert p.next_call_at == lt(MON, 13)
    assert p.reason == "no answer: retry in 3 h"
    assert p.appointment is None


def test_busy_retries_after_fifteen_minutes():
    p = plan([att(lt(MON, 10), "busy")])
    assert p.next_call_at == lt(MON, 10, 15)
    assert p.reason == "busy: retry in 15 min"


def test_unreachable_retries_after_two_hours():
    assert plan([att(lt(MON, 10), "unreachable")]).next_call_at == lt(MON, 12)


def test_retry_landing_after_hours_moves_to_next_morning():
    p = plan([att(lt(MON, 18, 30), "no_answer")])
    assert p.next_call_at == lt(TUE, 9)
    assert p.reason == "no answer: retry in 3 h; moved to the next calling window"


def test_busy_in_the_last_minutes_moves_to_next_morning():
    assert plan([att(lt(MON, 19, 44), "busy")]).next_call_at == lt(MON, 19, 59)
    assert plan([att(lt(MON, 19, 45), "busy")]).next_call_at == lt(TUE, 9)


def test_saturday_afternoon_retry_waits_for_monday():
    assert plan([att(lt(SAT, 16, 44), "busy")]).next_call_at == lt(SAT, 16, 59)
    assert plan([att(lt(SAT, 15), "no_answer")]).next_call_at == lt(NEXT_MON, 9)


def test_retry_skips_a_holiday():
    rules = CallingRules(calendar=CallingCalendar(holidays=frozenset({TUE})))
    assert plan([att(lt(MON, 18), "no_answer")], rules=rules).next_call_at == lt(WED, 9)


def test_configured_delay_overrides_the_catalogue():
    rules = CallingRules(retry_delays={"no_answer": timedelta(hours=1)})
    p = plan([att(lt(MON, 10), "no_answer")], rules=rules)
    assert p.next_call_at == lt(MON, 11)
    assert p.reason == "no answer: retry in 1 h"
    assert rules.retry_delays["busy"] == timedelta(minutes=15)  # the others stay


def test_attempts_in_any_order_give_the_same_plan():
    attempts = [att(lt(MON, 10), "no_answer"), att(lt(MON, 13), "busy"),
                att(lt(MON, 16), "no_answer")]
    assert plan(list(reversed(attempts))) == plan(attempts)
    assert plan(attempts).next_call_at == lt(MON, 19)


# --- final outcomes and soft refusal ---------------------------------------------------------

@pytest.mark.parametrize("key", [o.key for o in OUTCOMES if o.final])
def test_final_outcome_closes(key):
    p = plan([att(lt(MON, 10), "no_answer"), att(lt(MON, 13), key)])
    assert p.closed
    assert p.next_call_at is None
    assert p.reason == f"final outcome: {key}"


def test_soft_refusal_retries_after_seven_days_then_a_second_one_closes():
    first = [att(lt(MON, 10), "soft_refusal")]
    p = plan(first)
    assert not p.closed
    assert p.next_call_at == lt(NEXT_MON, 10)
    assert p.reason == "soft refusal: retry in 7 days"
    p2 = plan([*first, att(lt(NEXT_MON, 10), "soft_refusal")])
    assert p2.closed
    assert p2.reason == "second soft refusal"


def test_soft_refusal_then_other_outcomes_stay_open():
    p = plan([att(lt(MON, 10), "soft_refusal"), att(lt(NEXT_MON, 10), "no_answer")])
    assert not p.closed
    assert p.next_call_at == lt(NEXT_MON, 13)


# --- phone numbers ---------------------------------------------------------------------------

def test_wrong_number_walks_through_three_phones_then_closes():
    t = lt(MON, 10)
    one = [att(t, "wrong_number", 0)]
    p = plan(one, phones=3)
    assert (p.closed, p.phone_index, p.next_call_at) == (False, 1, t)
    assert p.reason == "wrong number: try phone 2 of 3"
    two = [*one, att(t + timedelta(minutes=2), "wrong_number", 1)]
    p = plan(two, phones=3)
    assert (p.closed, p.phone_index, p.next_call_at) == (False, 2, t + timedelta(minutes=2))
    three = [*two, att(t + timedelta(minutes=4), "wrong_number", 2)]
    p = plan(three, phones=3)
    assert p.closed
    assert p.reason == "all numbers wrong"


def test_wrong_number_on_the_only_phone_closes():
    assert plan([att(lt(MON, 10), "wrong_number")], phones=1).reason == "all numbers wrong"


def test_wrong_number_after_hours_tries_the_next_number_next_morning():
    p = plan([att(lt(MON, 20, 30), "wrong_number")], phones=2)
    assert (p.phone_index, p.next_call_at) == (1, lt(TUE, 9))


def test_other_outcomes_keep_the_current_number():
    attempts = [att(lt(MON, 10), "wrong_number", 0), att(lt(MON, 10, 5), "no_answer", 1)]
    p = plan(attempts, phones=3)
    assert (p.phone_index, p.next_call_at) == (1, lt(MON, 13, 5))


def test_wrong_number_on_a_later_phone_wraps_to_an_earlier_live_one():
    attempts = [att(lt(MON, 10), "no_answer", 0), att(lt(MON, 13), "wrong_number", 1)]
    assert plan(attempts, phones=2).phone_index == 0


# --- appointments ----------------------------------------------------------------------------

def test_appointment_inside_a_window_is_kept():
    appt = AppointmentRecord(lt(TUE, 15, 30), "hard", booked_by=7)
    p = plan([att(lt(MON, 10), "appointment")], appointment=appt)
    assert (p.closed, p.next_call_at, p.appointment) == (False, lt(TUE, 15, 30), appt)
    assert p.reason == "hard appointment"


@pytest.mark.parametrize(
    ("agreed", "moved_to"),
    [(lt(TUE, 21), lt(WED, 9)), (lt(TUE, 7), lt(TUE, 9)), (lt(SUN, 11), lt(NEXT_MON, 9)),
     (lt(SAT, 17, 30), lt(NEXT_MON, 9))],
)
def test_appointment_outside_a_window_moves_to_the_next_window(agreed, moved_to):
    appt = AppointmentRecord(agreed, "soft", booked_by=None)
    p = plan([att(lt(MON, 10), "appointment")], appointment=appt)
    assert p.next_call_at == moved_to
    assert p.appointment == appt
    assert p.reason == "soft appointment; moved to the next calling window"


def test_appointment_is_not_spread_even_on_the_last_attempt():
    attempts = [att(lt(MON, 9, 10 * i), "busy") for i in range(4)]
    appt = AppointmentRecord(lt(MON, 11), "soft")
    p = plan([*attempts, att(lt(MON, 10), "appointment")], appointment=appt)
    assert p.next_call_at == lt(MON, 11)  # the respondent's time, though it adds no slot/day


def test_appointment_outcome_without_its_record_falls_back_to_a_retry():
    p = plan([att(lt(MON, 10), "appointment")])
    assert (p.closed, p.next_call_at, p.appointment) == (False, lt(MON, 13), None)
    assert p.reason == "appointment time unknown: retry in 3 h"


def test_appointment_superseded_by_a_later_attempt_is_dropped():
    appt = AppointmentRecord(lt(MON, 15), "hard", booked_by=7)
    attempts = [att(lt(MON, 10), "appointment"), att(lt(MON, 15), "no_answer")]
    p = plan(attempts, appointment=appt)
    assert (p.next_call_at, p.appointment) == (lt(MON, 18), None)


def test_appointment_on_a_fresh_case_is_honoured():
    appt = AppointmentRecord(lt(TUE, 10), "soft")
    assert plan([], appointment=appt).next_call_at == lt(TUE, 10)


# --- cap and spreading -----------------------------------------------------------------------

def test_cap_closes_after_six_spread_attempts():
    times = [lt(MON, 9), lt(MON, 12), lt(MON, 15), lt(MON, 18), lt(TUE, 9), lt(TUE, 12)]
    attempts = [att(t, "no_answer") for t in times]
    assert not plan(attempts[:5]).closed
    p = plan(attempts)
    assert p.closed
    assert p.reason == "attempt cap reached"


def test_final_outcome_on_the_last_attempt_names_the_outcome_not_the_cap():
    attempts = [att(lt(MON, 9 + 2 * i), "no_answer") for i in range(5)]
    assert plan([*attempts, att(lt(TUE, 10), "hard_refusal")]).reason == (
        "final outcome: hard_refusal")


def test_five_tries_on_one_morning_push_the_last_to_a_new_day_and_slot():
    attempts = [att(lt(MON, 9, 10 * i), "busy") for i in range(5)]  # 09:00 ... 09:40
    p = plan(attempts)
    # the normal retry would be 09:55 Monday: same day, same slot
    assert p.next_call_at == lt(TUE, 12)
    assert p.reason == "busy: retry in 15 min; moved to a new slot and a new day to spread attempts"


def test_following_the_plan_spreads_six_busy_signals_over_two_slots_and_two_days():
    clock = FixedClock(lt(MON, 9))
    attempts: list[AttemptRecord] = []
    p = plan(attempts)
    while not p.closed:
        assert len(attempts) < RULES.attempt_cap
        if p.next_call_at is not None:
            clock.set(p.next_call_at)
        assert RULES.calendar.is_callable(clock.now())
        attempts.append(att(clock.now(), "busy"))
        p = plan(attempts)
    assert p.reason == "attempt cap reached"
    assert len(attempts) == 6
    quarter = timedelta(minutes=15)
    assert [a.at for a in attempts[:5]] == [lt(MON, 9) + i * quarter for i in range(5)]
    assert attempts[5].at == lt(TUE, 12)
    assert len({slot_of(a.at) for a in attempts}) >= 2
    assert len({local_day(a.at) for a in attempts}) >= 2


def test_only_the_slot_is_missing():
    attempts = [att(lt(MON + timedelta(days=i), 9), "no_answer") for i in range(4)]
    attempts.append(att(lt(date(2026, 6, 5), 9), "busy"))  # Friday: five mornings
    p = plan(attempts)
    assert p.next_call_at == lt(date(2026, 6, 5), 12)  # same day is fine, the slot is not
    assert p.reason.endswith("moved to a new slot to spread attempts")


def test_only_the_day_is_missing():
    times = [lt(MON, 9), lt(MON, 12), lt(MON, 15), lt(MON, 17, 30)]
    attempts = [att(t, "no_answer") for t in times] + [att(lt(MON, 19), "busy")]
    p = plan(attempts)
    assert p.next_call_at == lt(TUE, 9)  # any slot will do, but not Monday
    assert p.reason.endswith("moved to a new day to spread attempts")


def test_retry_that_already_spreads_is_not_moved():
    attempts = [att(lt(MON, 9, 10 * i), "busy") for i in range(4)]
    attempts.append(att(lt(MON, 16), "soft_refusal"))
    p = plan(attempts)
    assert p.next_call_at == lt(NEXT_MON, 16)
    assert p.reason == "soft refusal: retry in 7 days"


def test_spreading_waits_until_it_is_needed():
    attempts = [att(lt(MON, 9, 10 * i), "busy") for i in range(4)]
    assert plan(attempts).next_call_at == lt(MON, 9, 45)


def test_morning_only_project_still_spreads_over_days():
    mornings = {d: ((time(9), time(11, 30)),) for d in range(5)}
    rules = CallingRules(calendar=CallingCalendar(mornings))
    attempts = [att(lt(MON, 9, 10 * i), "busy") for i in range(5)]
    p = plan(attempts, rules=rules)
    assert p.next_call_at == lt(TUE, 9)


def test_spreading_can_be_switched_off():
    rules = CallingRules(min_slots=0, min_days=0)
    attempts = [att(lt(MON, 9, 10 * i), "busy") for i in range(5)]
    assert plan(attempts, rules=rules).next_call_at == lt(MON, 9, 55)


def test_a_smaller_cap():
    rules = CallingRules(attempt_cap=2)
    first = [att(lt(MON, 9), "busy")]
    assert plan(first, rules=rules).next_call_at == lt(TUE, 12)
    assert plan([*first, att(lt(TUE, 12), "busy")], rules=rules).closed


# --- due and claimable -----------------------------------------------------------------------

def open_plan(at: datetime | None) -> CallPlan:
    return CallPlan(False, at, 0, "test", None)


@pytest.mark.parametrize(
    ("next_call_at", "now", "claimable"),
    [
        (None, lt(SUN, 3), True),
        (lt(MON, 19, 59), lt(MON, 10), True),  # later in the current window
        (lt(TUE, 9), lt(MON, 15), False),  # tomorrow's window: not yet
        (lt(TUE, 9), lt(MON, 21), True),  # claimed in the evening for the morning
        (lt(TUE, 19, 30), lt(MON, 22), True),
        (lt(WED, 10), lt(MON, 22), False),
        (lt(NEXT_MON, 9), lt(SAT, 18), True),  # over the weekend
        (lt(NEXT_MON, 9), lt(SAT, 16), False),
    ],
)
def test_claimable_by(next_call_at, now, claimable):
    assert claimable_by(open_plan(next_call_at), now, RULES.calendar) is claimable


def test_closed_case_is_never_claimable():
    closed = CallPlan(True, None, 0, "final outcome: complete", None)
    assert not claimable_by(closed, lt(MON, 10), RULES.calendar)


# --- records and config ----------------------------------------------------------------------

def test_records_validate_and_normalise_to_utc():
    with pytest.raises(UnknownOutcome):
        AttemptRecord(lt(MON, 10), "no_such_outcome", 0)
    with pytest.raises(ValueError, match="phone_index"):
        AttemptRecord(lt(MON, 10), "busy", -1)
    with pytest.raises(ValueError, match="'hard' or 'soft'"):
        AppointmentRecord(lt(MON, 10), "firm", 1)
    local = datetime(2026, 6, 1, 10, 0, tzinfo=THIMPHU)
    assert AttemptRecord(local, "busy", 0).at == datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
    assert AttemptRecord(local, "busy", 0).at.tzinfo is UTC


def test_default_rules():
    assert RULES.attempt_cap == 6 and RULES.min_slots == 2 and RULES.min_days == 2
    assert RULES.appointment_grace == DEFAULT_APPOINTMENT_GRACE == timedelta(minutes=30)
    assert RULES.retry_delays == {
        "soft_refusal": timedelta(days=7), "no_answer": timedelta(hours=3),
        "busy": timedelta(minutes=15), "unreachable": timedelta(hours=2),
        "voicemail": timedelta(hours=3), "not_available": timedelta(hours=3),
    }


def test_rules_config_round_trip():
    rules = CallingRules.from_dict({
        "calendar": {"holidays": ["2026-12-17"]},
        "retry_delays_minutes": {"no_answer": 120, "appointment": 60},
        "attempt_cap": 8, "min_slots": 3, "min_days": 3, "appointment_grace_minutes": 10,
    })
    assert rules.retry_delays["no_answer"] == timedelta(hours=2)
    assert rules.retry_delays["busy"] == timedelta(minutes=15)
    assert (rules.attempt_cap, rules.min_slots, rules.min_days) == (8, 3, 3)
    assert rules.appointment_grace == timedelta(minutes=10)
    assert date(2026, 12, 17) in rules.calendar.holidays
    assert CallingRules.from_dict(rules.to_dict()) == rules
    assert hash(CallingRules.from_dict(rules.to_dict())) == hash(rules)
    assert CallingRules.from_dict({}) == RULES
    # the configured appointment fallback is used when the appointment record is missing
    assert plan([att(lt(MON, 10), "appointment")], rules=rules).next_call_at == lt(MON, 11)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"retry_delays_minutes": {"no_anser": 60}}, "unknown outcome 'no_anser'"),
        ({"retry_delays_minutes": {"hard_refusal": 60}}, "final outcome is never retried"),
        ({"retry_delays_minutes": {"wrong_number": 60}}, "next number at once"),
        ({"retry_delays_minutes": {"busy": 0}}, "busy must be >= 1"),
        ({"retry_delays_minutes": {"busy": "15"}}, "whole number"),
        ({"attempt_cap": 0}, "attempt_cap must be >= 1"),
        ({"attempt_cap": True}, "whole number"),
        ({"min_slots": 4}, "min_slots must be between 0 and 3"),
        ({"min_days": -1}, "min_days must be >= 0"),
        ({"appointment_grace_minutes": -5}, "appointment_grace_minutes"),
        ({"cap": 6}, "unknown key"),
        ({"calendar": {"windows": {"sun": []}}}, "no calling window"),
    ],
)
def test_bad_rules_config_is_a_clear_value_error(config, message):
    with pytest.raises(ValueError, match=message):
        CallingRules.from_dict(config)


@pytest.mark.parametrize(
    ("delay", "text"),
    [(timedelta(days=7), "7 days"), (timedelta(days=1), "1 day"), (timedelta(hours=3), "3 h"),
     (timedelta(minutes=90), "90 min"), (timedelta(seconds=45), "45 s")],
)
def test_describe_delay(delay, text):
    assert describe_delay(delay) == text


# --- properties ------------------------------------------------------------------------------

PICKABLE = [o.key for o in OUTCOMES if not o.derived and not o.server_only] + [
    "no_answer", "busy"] * 3
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@st.composite
def calendars(draw) -> CallingCalendar:
    """Default week or random single windows per weekday, with random holidays."""
    holidays = draw(st.frozensets(st.dates(date(2025, 1, 1), date(2028, 12, 31)), max_size=20))
    if draw(st.booleans()):
        return CallingCalendar(holidays=holidays)
    windows = {}
    for day in range(7):
        start = draw(st.integers(5, 21))
        if draw(st.booleans()) or day == 0:
            windows[day] = ((time(start), time(draw(st.integers(start + 1, 23)))),)
    return CallingCalendar(windows, holidays)


@st.composite
def rule_sets(draw) -> CallingRules:
    return CallingRules(
        calendar=draw(calendars()),
        attempt_cap=draw(st.integers(1, 8)),
        min_slots=draw(st.integers(0, 3)),
        min_days=draw(st.integers(0, 3)),
    )


attempt_lists = st.lists(
    st.builds(AttemptRecord, instants, st.sampled_from(PICKABLE), st.integers(0, 2)),
    max_size=9,
)


@settings(max_examples=300, deadline=None)
@given(attempt_lists, st.integers(1, 3), rule_sets(),
       st.none() | st.builds(AppointmentRecord, instants, st.sampled_from(["hard", "soft"])))
def test_plans_for_random_histories(attempts, phones, rules, appointment):
    p = plan_next_call(attempts, phones, rules, appointment)
    referrals = sum(a.outcome == "language_needed" for a in attempts)
    if len(attempts) - referrals >= rules.attempt_cap:
        assert p.closed  # never an attempt beyond the cap (language referrals spare it)
    if p.closed:
        assert p.next_call_at is None
        return
    assert 0 <= p.phone_index < phones
    if p.next_call_at is not None:
        assert rules.calendar.is_callable(p.next_call_at)
        assert p.next_call_at.utcoffset() == timedelta(0)
        if attempts and p.appointment is None:
            assert p.next_call_at >= max(a.at for a in attempts)
    else:
        assert not attempts and appointment is None


@settings(max_examples=200, deadline=None)
@given(instants, rule_sets(), st.lists(st.sampled_from(TEMPORARY_RETRIES), min_size=8,
                                       max_size=8), st.randoms(use_true_random=False))
def test_following_plans_spreads_attempts_before_the_cap_closes(start, rules, results, rnd):
    attempts: list[AttemptRecord] = []
    now = rules.calendar.next_window_start(start)
    p = plan_next_call(attempts, 1, rules)
    while not p.closed:
        if p.next_call_at is not None:
            now = p.next_call_at
        assert rules.calendar.is_callable(now)
        attempts.append(AttemptRecord(now, results[len(attempts)], 0))
        rnd.shuffle(shuffled := list(attempts))
        p = plan_next_call(shuffled, 1, rules)
    assert p.reason == "attempt cap reached"
    assert len(attempts) == rules.attempt_cap
    days = {local_day(a.at) for a in attempts}
    assert len(days) >= min(rules.min_days, rules.attempt_cap)
    slots_in_calendar = _slots_with_windows(rules.calendar)
    wanted_slots = min(rules.min_slots, rules.attempt_cap, len(slots_in_calendar))
    assert len({slot_of(a.at) for a in attempts}) >= wanted_slots


def _slots_with_windows(calendar: CallingCalendar) -> set[str]:
    """Slots the calendar ever calls in (a morning-only project has one)."""
    found = set()
    for windows in calendar.windows.values():
        for start, end in windows:
            for minute in range(start.hour * 60 + start.minute, end.hour * 60 + end.minute):
                found.add(slot_of(lt(MON, minute // 60, minute % 60)))
    return found



def test_a_language_referral_is_retried_at_once_and_spares_the_cap():
    """Issue 18: five unanswered calls, then the respondent answers in a language the
    enumerator does not speak. The case goes back for a speaker of it now, not closed by the
    cap of six: the respondent was reached."""
    rules = CallingRules(attempt_cap=6, min_slots=0, min_days=0)
    start = lt(MON, 9)
    history = [AttemptRecord(start + timedelta(minutes=20 * i), "busy", 0) for i in range(5)]
    referral = AttemptRecord(start + timedelta(hours=2), "language_needed", 0)
    p = plan_next_call([*history, referral], 1, rules)
    assert not p.closed and p.next_call_at == referral.at and p.phone_index == 0
    assert "speaks the case's language" in p.reason
    closed = plan_next_call([*history, referral, AttemptRecord(referral.at + timedelta(hours=1),
                                                               "busy", 0)], 1, rules)
    assert closed.closed and closed.reason == "attempt cap reached"
