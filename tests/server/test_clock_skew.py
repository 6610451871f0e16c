"""Issue 10, "Time": a device clock that is wrong never moves a case's plan or its place in
the counts. Implausible times are stored as sent (G4), flagged for a supervisor, and the rules
read them at the server's time of receipt (both backends)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cati_app.core.protocol import Role
from cati_app.server.models import Case, ContactAttempt, InterviewVersion
from cati_app.server.models import Conflict as ConflictRow
from tests.support.factories import (
    attempt_item,
    claim_body,
    interview_item,
    push_body,
    seed_cases,
    seed_service,
)

DAY = timedelta(days=1)


def _setup(ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = client.post("/v1/queue/claim", json=claim_body(1), headers=auth).json()["cases"][0]
    return auth, case


def _push(client, auth, items):
    r = client.post("/v1/sync/push", json=push_body(items), headers=auth)
    assert r.status_code == 200, r.text
    return [x["status"] for x in r.json()["results"]]


def _case(ctx, case_id):
    with ctx.sessions() as s:
        return s.get_one(Case, case_id)


def test_a_real_appointment_booked_after_a_call_from_a_clock_a_day_ahead_stands(
        ctx, client, clock, make_user, login):
    auth, case = _setup(ctx, client, make_user, login)
    now = clock.now()
    assert _push(client, auth, [attempt_item(case, now + DAY)]) == ["stored"]
    clock.advance(timedelta(minutes=10))  # the clock is put right; the respondent answers
    later = clock.now()
    booked = attempt_item(case, later, outcome="appointment",
                          appointment_at=(later + timedelta(hours=2)).isoformat(),
                          appointment_kind="soft")
    assert _push(client, auth, [booked]) == ["stored"]
    stored = _case(ctx, case["case_id"])
    assert stored.appointment_at is not None
    assert stored.appointment_at.replace(tzinfo=None) == (later + timedelta(hours=2)
                                                          ).replace(tzinfo=None)
    assert stored.next_call_at.replace(tzinfo=None) == (later + timedelta(hours=2)
                                                        ).replace(tzinfo=None)
    assert stored.attempt_count == 2 and stored.disposition == "appointment"


def test_a_time_in_the_future_is_stored_flagged_and_planned_from_the_receipt(
        ctx, client, clock, make_user, login):
    auth, case = _setup(ctx, client, make_user, login)
    now = clock.now()
    assert _push(client, auth, [attempt_item(case, now + DAY)]) == ["stored"]
    with ctx.sessions() as s:
        row = s.scalars(select(ContactAttempt)).one()
        assert row.started_at.replace(tzinfo=None) == (now + DAY).replace(tzinfo=None)  # G4
        assert row.time_flags and "device clock is ahead" in row.time_flags[0]
        assert "24 h" in row.time_flags[0]
        conflict = s.scalars(select(ConflictRow)).one()
        assert conflict.kind == "implausible_time" and conflict.case_id == case["case_id"]
    stored = _case(ctx, case["case_id"])
    # no answer: 3 h after the call as the server saw it, not 3 h after tomorrow
    assert stored.next_call_at.replace(tzinfo=None) == (now + timedelta(hours=3)
                                                        ).replace(tzinfo=None)
    assert stored.last_called_at.replace(tzinfo=None) == now.replace(tzinfo=None)


def test_the_conflicts_list_shows_the_wrong_clock_to_a_supervisor(
        ctx, client, clock, make_user, login):
    auth, case = _setup(ctx, client, make_user, login)
    _push(client, auth, [attempt_item(case, clock.now() + DAY)])
    _push(client, auth, [attempt_item(case, clock.now() + DAY + timedelta(minutes=5))])
    make_user("sup", Role.supervisor)
    listed = client.get("/v1/conflicts", headers=login("sup")).json()
    rows = [c for c in listed["conflicts"] if c["kind"] == "implausible_time"]
    assert len(rows) == 1  # one open notice per case, not one per item
    assert "device clock is ahead" in rows[0]["description"]


def test_a_little_ahead_is_within_the_tolerance(ctx, client, clock, make_user, login):
    auth, case = _setup(ctx, client, make_user, login)
    now = clock.now()
    assert _push(client, auth, [attempt_item(case, now + timedelta(minutes=4))]) == ["stored"]
    with ctx.sessions() as s:
        assert s.scalars(select(ContactAttempt)).one().time_flags == []
        assert s.scalars(select(ConflictRow)).all() == []
    stored = _case(ctx, case["case_id"])
    assert stored.next_call_at.replace(tzinfo=None) == (now + timedelta(hours=3, minutes=4)
                                                        ).replace(tzinfo=None)


def test_an_appointment_booked_on_a_clock_a_day_ahead_is_moved_back_by_the_same_day(
        ctx, client, clock, make_user, login):
    auth, case = _setup(ctx, client, make_user, login)
    now = clock.now()
    skewed = now + DAY
    booked = attempt_item(case, skewed, outcome="appointment",
                          appointment_at=(skewed + timedelta(hours=2)).isoformat(),
                          appointment_kind="hard")
    assert _push(client, auth, [booked]) == ["stored"]
    stored = _case(ctx, case["case_id"])
    assert stored.appointment_at.replace(tzinfo=None) == (now + timedelta(hours=2)
                                                          ).replace(tzinfo=None)
    with ctx.sessions() as s:
        row = s.scalars(select(ContactAttempt)).one()
        assert row.appointment_at.replace(tzinfo=None) == (skewed + timedelta(hours=2)
                                                           ).replace(tzinfo=None)  # as sent
        assert any("appointment" in flag for flag in row.time_flags)


def test_an_interview_that_ends_before_it_starts_is_stored_and_flagged(
        ctx, client, clock, make_user, login):
    auth, case = _setup(ctx, client, make_user, login)
    item = interview_item(case, clock.now() - timedelta(minutes=20))
    item["payload"]["ended_at"] = (clock.now() - timedelta(hours=1)).isoformat()
    assert _push(client, auth, [item]) == ["stored"]
    with ctx.sessions() as s:
        version = s.scalars(select(InterviewVersion)).one()
        assert version.completion == "complete" and version.primary
        assert any("ends before it starts" in p for p in version.problems)
        assert s.scalars(select(ConflictRow.kind)).all() == ["implausible_time"]
    assert _case(ctx, case["case_id"]).state == "closed"


def test_an_interview_from_a_clock_a_day_ahead_counts_today_by_receipt(
        ctx, client, clock, make_user, login):
    auth, case = _setup(ctx, client, make_user, login)
    now = clock.now()
    other = seed_cases(ctx, seed_service(ctx, "MOVE"), 1)
    assert other
    items = [attempt_item(case, now + DAY - timedelta(minutes=30)),
             interview_item(case, now + DAY)]
    assert _push(client, auth, items) == ["stored", "stored"]
    make_user("ana", Role.analyst)
    report = client.get("/v1/reports/progress", headers=login("ana")).json()
    [enum1] = [e for e in report["enumerators"] if e["username"] == "enum1"]
    assert (enum1["attempts_today"], enum1["completes_today"]) == (2, 1)
    cid = next(s for s in report["services"] if s["service_code"] == "CID")
    assert (cid["attempts_today"], cid["completes_today"]) == (2, 1)


def test_an_interview_made_offline_yesterday_and_received_today_counts_today(
        ctx, client, clock, make_user, login):
    auth, case = _setup(ctx, client, make_user, login)
    yesterday = clock.now() - DAY
    assert _push(client, auth, [interview_item(case, yesterday)]) == ["stored"]
    make_user("ana", Role.analyst)
    report = client.get("/v1/reports/progress", headers=login("ana")).json()
    [enum1] = [e for e in report["enumerators"] if e["username"] == "enum1"]
    assert (enum1["attempts_today"], enum1["completes_today"]) == (1, 1)
