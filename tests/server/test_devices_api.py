"""New devices, snapshots and device fencing through the HTTP API (issue 10),
on SQLite and PostgreSQL: the snapshot a new device starts from, handing an old device's holds
over, idle holds for the supervisor, a second device that cannot ack or push as current for a
grant it was not given, and a pull cursor beyond the end of the feed. (A former holder's feed:
tests/security/test_feed_after_reassignment.py.)"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cati_app.server.models import Case, ContactAttempt
from tests.support.factories import assign_via_api as _assign
from tests.support.factories import attempt_item, claim_body, push_body, seed_cases, seed_service
from tests.support.factories import load_case as _case


def _claim(client, auth, n, device_id):
    r = client.post("/v1/queue/claim", json=claim_body(n, device_id=device_id), headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def _snapshot(client, auth, device_id):
    r = client.post("/v1/sync/snapshot", json={"device_id": device_id}, headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


# --- snapshot --------------------------------------------------------------------------------

def test_snapshot_holds_what_the_enumerator_holds_now_and_the_feed_cursor(
        ctx, client, make_user, login):
    make_user("enum1")
    make_user("boss", "supervisor")
    ids = seed_cases(ctx, seed_service(ctx), 4)
    boss = login("boss")
    _assign(client, boss, ids[:3], "enum1")
    old = login("enum1", "dev-old")
    done = client.get("/v1/sync/pull", headers=old).json()
    case = next(c for c in done["changes"] if c["case_id"] == ids[0])
    closed = client.post("/v1/sync/push", headers=old, json=push_body(
        [attempt_item({"case_id": ids[0], "assignment_version": case["assignment_version"]},
                      ctx.clock.now(), outcome="hard_refusal")], "dev-old"))
    assert closed.status_code == 200 and _case(ctx, ids[0]).state == "closed"

    snap = _snapshot(client, login("enum1", "dev-new"), "dev-new")

    assert sorted(c["case_id"] for c in snap["cases"]) == ids[1:3]
    assert all(c["phones"] and c["state"] == "held" for c in snap["cases"])
    feed_end = client.get("/v1/sync/pull", headers=old).json()["next_cursor"]
    assert snap["cursor"] == feed_end  # a pull from here brings nothing already in the snapshot
    assert client.get("/v1/sync/pull", params={"cursor": snap["cursor"]},
                      headers=old).json()["changes"] == []


def test_snapshot_carries_a_pending_correction(ctx, client, make_user, login):
    from tests.support.factories import interview_item
    make_user("enum1")
    make_user("boss", "supervisor")
    seed_cases(ctx, seed_service(ctx), 2)
    auth = login("enum1", "dev-old")
    case = _claim(client, auth, 1, "dev-old")["cases"][0]
    item = interview_item(case, ctx.clock.now())
    client.post("/v1/sync/push", json=push_body([item], "dev-old"), headers=auth)
    rejected = client.post(f"/v1/interviews/{item['payload']['interview_uuid']}/reject",
                           json={"comment": "ask the wait time again"}, headers=login("boss"))
    assert rejected.status_code == 200, rejected.text

    snap = _snapshot(client, login("enum1", "dev-new"), "dev-new")

    [held] = snap["cases"]
    assert held["case_id"] == case["case_id"]
    assert held["correction"]["version_uuid"] == item["payload"]["version_uuid"]
    assert held["correction"]["comment"] == "ask the wait time again"


def test_a_quiet_old_device_hands_its_holds_to_the_new_one(ctx, client, make_user, login,
                                                           clock):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 5)
    old = login("enum1", "dev-old")
    grant = _claim(client, old, 3, "dev-old")
    ids = [c["case_id"] for c in grant["cases"]]
    client.post("/v1/queue/ack", json={"grant_id": grant["grant_id"], "case_ids": ids},
                headers=old)
    clock.advance(timedelta(hours=ctx.settings.handover_quiet_hours + 1))

    new = login("enum1", "dev-new")
    snap = _snapshot(client, new, "dev-new")

    assert sorted(c["case_id"] for c in snap["cases"]) == sorted(ids)
    assert snap["handed_over"] == 3 and snap["kept_on_other_device"] == 0
    assert {_case(ctx, i).holder_device for i in ids} == {"dev-new"}
    # the old device's work on them is no longer current: stored as stale, never lost
    moved = snap["cases"][0]
    results = client.post("/v1/sync/push", headers=login("enum1", "dev-old"), json=push_body(
        [attempt_item({"case_id": moved["case_id"], "assignment_version":
                       grant["cases"][0]["assignment_version"]}, clock.now())], "dev-old"))
    assert results.status_code == 200
    with ctx.sessions() as s:
        stale = s.scalars(select(ContactAttempt.stale).where(
            ContactAttempt.case_id == moved["case_id"])).all()
    assert stale == [True]


def test_a_recently_active_old_device_keeps_its_holds_and_the_supervisor_sees_them(
        ctx, client, make_user, login):
    make_user("enum1")
    make_user("boss", "supervisor")
    seed_cases(ctx, seed_service(ctx), 5)
    old = login("enum1", "dev-old")
    grant = _claim(client, old, 2, "dev-old")
    ids = sorted(c["case_id"] for c in grant["cases"])
    client.post("/v1/queue/ack", json={"grant_id": grant["grant_id"], "case_ids": ids},
                headers=old)

    snap = _snapshot(client, login("enum1", "dev-new"), "dev-new")

    assert snap["cases"] == [] and snap["kept_on_other_device"] == 2
    assert {_case(ctx, i).holder_device for i in ids} == {"dev-old"}
    listed = client.get("/v1/cases/idle-holds", headers=login("boss"))
    assert listed.status_code == 200, listed.text
    rows = {r["case_id"]: r for r in listed.json()["holds"]}
    assert sorted(rows) == ids
    assert {r["reason"] for r in rows.values()} == {"other_device"}
    assert {r["holder"] for r in rows.values()} == {"enum1"}
    assert {r["device_id"] for r in rows.values()} == {"dev-old"}


def test_holds_untouched_for_the_idle_time_are_listed_for_the_supervisor(
        ctx, client, make_user, login, clock):
    make_user("enum1")
    make_user("boss", "supervisor")
    seed_cases(ctx, seed_service(ctx), 5)
    auth = login("enum1", "dev-a")
    grant = _claim(client, auth, 3, "dev-a")
    ids = sorted(c["case_id"] for c in grant["cases"])
    client.post("/v1/queue/ack", json={"grant_id": grant["grant_id"], "case_ids": ids},
                headers=auth)
    boss = login("boss")
    assert client.get("/v1/cases/idle-holds", headers=boss).json()["holds"] == []

    clock.advance(timedelta(hours=ctx.settings.idle_hold_hours + 1))
    worked = next(c for c in grant["cases"] if c["case_id"] == ids[0])
    client.post("/v1/sync/push", headers=login("enum1", "dev-a"),
                json=push_body([attempt_item(worked, clock.now())], "dev-a"))

    rows = client.get("/v1/cases/idle-holds", headers=login("boss")).json()["holds"]
    assert sorted(r["case_id"] for r in rows) == ids[1:]
    assert {r["reason"] for r in rows} == {"idle"}
    assert client.get("/v1/cases/idle-holds", headers=login("enum1", "dev-a")
                      ).status_code == 403


# --- device fencing --------------------------------------------------------------------------

def test_a_second_device_cannot_acknowledge_the_first_devices_grant(ctx, client, make_user,
                                                                      login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 3)
    first = login("enum1", "dev-a")
    grant = _claim(client, first, 2, "dev-a")
    ids = [c["case_id"] for c in grant["cases"]]

    second = login("enum1", "dev-b")
    r = client.post("/v1/queue/ack", json={"grant_id": grant["grant_id"], "case_ids": ids},
                    headers=second)

    assert r.status_code == 403 and "dev-a" in r.json()["detail"]
    assert all(_case(ctx, i).delivery_deadline is not None for i in ids)
    ok = client.post("/v1/queue/ack", json={"grant_id": grant["grant_id"], "case_ids": ids},
                     headers=first)
    assert sorted(ok.json()["acknowledged"]) == sorted(ids)


def test_a_second_device_pushes_only_stale_work_for_a_grant_it_was_not_given(
        ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 4)
    first = login("enum1", "dev-a")
    cases = _claim(client, first, 2, "dev-a")["cases"]
    second = login("enum1", "dev-b")
    at = ctx.clock.now()

    # the fast path (a batch of calls) and the per-item path (an appointment) alike
    r = client.post("/v1/sync/push", headers=second, json=push_body(
        [attempt_item(c, at) for c in cases], "dev-b"))
    assert r.status_code == 200
    appointment = {"item_uuid": "8c0f2a9e-3d39-4d53-9a55-7f0b7c6f0001", "kind": "appointment",
                   "case_id": cases[0]["case_id"],
                   "assignment_version": cases[0]["assignment_version"],
                   "payload": {"at": (at + timedelta(days=1)).isoformat(), "kind": "soft"}}
    r2 = client.post("/v1/sync/push", headers=second, json=push_body([appointment], "dev-b"))
    assert r2.status_code == 200

    assert "stale" in r.json()["results"][0]["detail"]
    assert "aside" in r2.json()["results"][0]["detail"]
    with ctx.sessions() as s:
        flags = s.scalars(select(ContactAttempt.stale)).all()
        appointment_at = s.get_one(Case, cases[0]["case_id"]).appointment_at
    assert flags == [True, True] and appointment_at is None
    assert {_case(ctx, c["case_id"]).attempt_count for c in cases} == {0}


# --- cursor checks ---------------------------------------------------------------------------

def test_a_cursor_beyond_the_end_of_the_feed_is_answered_cursor_ahead(ctx, client, make_user,
                                                                        login):
    make_user("enum1")
    seed_service(ctx)  # one feed entry: the questionnaire
    auth = login("enum1")
    end = client.get("/v1/sync/pull", headers=auth).json()["next_cursor"]
    assert client.get("/v1/sync/pull", params={"cursor": end}, headers=auth).status_code == 200

    r = client.get("/v1/sync/pull", params={"cursor": str(int(end) + 500)}, headers=auth)

    assert r.status_code == 409
    assert r.json()["error"] == "cursor_ahead" and "snapshot" in r.json()["detail"]


def test_a_cursor_of_non_ascii_digits_is_422(ctx, client, make_user, login):
    make_user("enum1")
    auth = login("enum1")
    for cursor in ("\u0661\u0662\u0663", "\u00b2", "\uff11", "-1", "1.5"):
        r = client.get("/v1/sync/pull", params={"cursor": cursor}, headers=auth)
        assert r.status_code == 422, (cursor, r.status_code)
        assert "cursor" in r.json()["detail"]


def test_a_full_queue_moves_to_a_new_device_in_one_quick_snapshot(ctx, client, make_user,
                                                                     login, clock):
    import time
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 210)
    # a room that lets one desk hold 200 cases (the default cap is 60)
    ctx.settings.max_held_cases = ctx.settings.claim_cases_per_hour = 200
    old = login("enum1", "dev-old")
    grant = _claim(client, old, 200, "dev-old")
    ids = sorted(c["case_id"] for c in grant["cases"])
    client.post("/v1/queue/ack", json={"grant_id": grant["grant_id"], "case_ids": ids},
                headers=old)
    clock.advance(timedelta(hours=ctx.settings.handover_quiet_hours + 1))
    new = login("enum1", "dev-new")

    started = time.perf_counter()
    snap = _snapshot(client, new, "dev-new")
    seconds = time.perf_counter() - started

    assert sorted(c["case_id"] for c in snap["cases"]) == ids and snap["handed_over"] == 200
    print(f"\nsnapshot with 200 cases handed over: {seconds:.2f} s")
    assert seconds < 10  # a few hundred ms on the development machine; 10 s leaves room for load
