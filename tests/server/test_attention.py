"""What waits for a supervisor (issue 13): the quarantine (items the server refused and kept as
sent) to resolve or dismiss, and the cases enumerators released, with their reasons, to
reassign. Real pushes make both, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from cati_app.core.protocol import Role
from tests.server.factories import attempt_item, claim_body, push_body, seed_cases, seed_service


def claim(client, auth, n=2) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    response = client.post("/v1/queue/claim", json=claim_body(n), headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["cases"]


def push(client, auth, items) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    response = client.post("/v1/sync/push", json=push_body(items), headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_a_quarantined_item_is_listed_with_its_reason_and_settled_once(
        ctx, client, make_user, login) -> None:  # type: ignore[no-untyped-def]
    make_user("enum1")
    make_user("sup", Role.supervisor)
    seed_cases(ctx, seed_service(ctx), 2)
    enum, sup = login("enum1"), login("sup")
    case = claim(client, enum)[0]
    unknown = {**attempt_item(case, ctx.clock.now()), "case_id": 999_999}
    bad = attempt_item(case, ctx.clock.now(), outcome="teleported")
    assert [r["status"] for r in push(client, enum, [unknown, bad])] == ["rejected_invalid"] * 2

    listed = client.get("/v1/quarantine", headers=sup).json()
    assert listed["total"] == 2
    by_uuid = {row["item_uuid"]: row for row in listed["items"]}
    row = by_uuid[bad["item_uuid"]]
    assert row["enumerator"] == "enum1" and row["kind"] == "contact_attempt"
    assert row["case_id"] == case["case_id"] and "teleported" in row["reason"]
    assert row["settlement"] is None
    assert client.get("/v1/quarantine", headers=enum).status_code == 403

    settled = client.post(f"/v1/quarantine/{row['id']}/settle",
                          json={"settlement": "dismissed", "note": "test call, nothing to do"},
                          headers=sup)
    assert settled.status_code == 200, settled.text
    assert settled.json()["settlement"] == "dismissed" and settled.json()["settled_by"] == "sup"
    again = client.post(f"/v1/quarantine/{row['id']}/settle",
                        json={"settlement": "resolved"}, headers=sup)
    assert again.status_code == 409  # settled once; the first decision stands
    assert client.get("/v1/quarantine", headers=sup).json()["total"] == 1
    closed = client.get("/v1/quarantine", params={"status": "settled"}, headers=sup).json()
    assert [r["item_uuid"] for r in closed["items"]] == [bad["item_uuid"]]
    assert client.get("/v1/quarantine", params={"status": "all"}, headers=sup).json()["total"] == 2
    missing = client.post("/v1/quarantine/999999/settle", json={"settlement": "resolved"},
                          headers=sup)
    assert missing.status_code == 404


def test_released_cases_are_listed_with_the_reason_until_someone_holds_them(
        ctx, client, make_user, login) -> None:  # type: ignore[no-untyped-def]
    make_user("enum1")
    make_user("enum2")
    make_user("sup", Role.supervisor)
    seed_cases(ctx, seed_service(ctx), 2)
    enum, sup = login("enum1"), login("sup")
    kept, released = claim(client, enum)
    release = {"item_uuid": str(uuid.uuid4()), "kind": "case_release",
               "case_id": released["case_id"],
               "assignment_version": released["assignment_version"],
               "payload": {"reason": "Respondent speaks only Sharchop"}}
    assert push(client, enum, [release])[0]["status"] == "stored"

    listed = client.get("/v1/cases/released", headers=sup).json()["cases"]
    assert [(c["case_id"], c["released_by"], c["reason"]) for c in listed] == [
        (released["case_id"], "enum1", "Respondent speaks only Sharchop")]
    assert kept["case_id"] not in {c["case_id"] for c in listed}

    assigned = client.post("/v1/cases/assign", json={
        "case_ids": [released["case_id"]], "to_user": "enum2", "reason": ""}, headers=sup)
    assert assigned.status_code == 200, assigned.text
    assert client.get("/v1/cases/released", headers=sup).json()["cases"] == []


def test_room_status_counts_what_waits_and_says_when_each_enumerator_was_last_seen(
        ctx, client, make_user, login) -> None:  # type: ignore[no-untyped-def]
    make_user("enum1")
    make_user("enum2")
    make_user("sup", Role.supervisor)
    make_user("ana", Role.analyst)
    seed_cases(ctx, seed_service(ctx), 2)
    enum, sup = login("enum1"), login("sup")
    case = claim(client, enum)[0]
    push(client, enum, [attempt_item(case, ctx.clock.now(), outcome="teleported")])
    assert client.get("/v1/reports/room", headers=login("ana")).status_code == 403

    room = client.get("/v1/reports/room", headers=sup).json()
    seen = {p["username"]: p["last_seen"] for p in room["enumerators"]}
    assert set(seen) == {"enum1", "enum2"}  # enumerators only
    assert seen["enum1"] is not None and seen["enum2"] is None
    assert (room["open_conflicts"], room["waiting_review"], room["released_waiting"],
            room["quarantined_open"]) == (0, 0, 0, 1)


def test_trends_count_work_per_thimphu_day_and_average_stored_scores_per_week(
        ctx, client, make_user, login) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from sqlalchemy import select

    from cati_app.core.clock import to_thimphu
    from cati_app.server.models import InterviewVersion
    from tests.server.factories import interview_item

    make_user("enum1")
    make_user("ana", Role.analyst)
    seed_cases(ctx, seed_service(ctx), 6)
    enum = login("enum1")
    cases = claim(client, enum, 6)
    first_day = to_thimphu(ctx.clock.now()).date()
    push(client, enum, [attempt_item(cases[0], ctx.clock.now()),
                        interview_item(cases[1], ctx.clock.now())])
    ctx.clock.advance(timedelta(days=1))
    enum = login("enum1")  # a new day, a new login
    push(client, enum, [attempt_item(cases[2], ctx.clock.now()),
                        attempt_item(cases[3], ctx.clock.now())])
    ctx.clock.advance(timedelta(days=7))  # the next week
    enum = login("enum1")
    push(client, enum, [interview_item(cases[4], ctx.clock.now())])

    body = client.get("/v1/reports/trends", params={"days": 9, "weeks": 3},
                      headers=login("ana")).json()
    days = {d["day"]: (d["completes"], d["attempts"]) for d in body["days"]}
    assert len(days) == 9
    # an interview is a call too: it brings its contact attempt
    assert days[first_day.isoformat()] == (1, 2)
    assert days[(first_day + timedelta(days=1)).isoformat()] == (0, 2)
    assert days[(first_day + timedelta(days=8)).isoformat()] == (1, 1)
    assert sum(c for c, _ in days.values()) == 2 and sum(a for _, a in days.values()) == 5

    with ctx.sessions() as session:
        stored = list(session.scalars(select(InterviewVersion.score_composite)
                                      .order_by(InterviewVersion.received_at)))
    [service] = body["services"]
    weeks = [date.fromisoformat(w) for w in body["weeks"]]
    assert weeks == sorted(weeks) and all(w.weekday() == 0 for w in weeks)
    by_week = dict(zip(weeks, service["composite"], strict=True))
    monday = first_day - timedelta(days=first_day.weekday())
    assert by_week[monday] == pytest.approx(stored[0])
    assert by_week[monday + timedelta(weeks=1)] == pytest.approx(stored[1])
    assert service["interviews"][weeks.index(monday)] == 1
