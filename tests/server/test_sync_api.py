"""Claim, ack, push and pull through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cati_app.server.models import (
    AuditEntry,
    Case,
    ContactAttempt,
    FeedChange,
    InterviewVersion,
    PushedItem,
    QuarantinedItem,
)
from tests.support.factories import (
    attempt_item,
    claim_body,
    interview_item,
    push_body,
    seed_cases,
    seed_service,
)


def _claim(client, auth, n=3, **kw):
    r = client.post("/v1/queue/claim", json=claim_body(n, **kw), headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def _push(client, auth, items, device_id="dev-enum1"):
    r = client.post("/v1/sync/push", json=push_body(items, device_id), headers=auth)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _upserts(client, auth):
    changes = client.get("/v1/sync/pull", headers=auth).json()["changes"]
    return [c["body"] for c in changes if c["type"] == "case_upsert"]


def _count(ctx, model, *where):
    with ctx.sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_claim_hands_out_contact_details_in_queue_order(ctx, client, make_user, login):
    make_user("enum1")
    service = seed_service(ctx)
    low = seed_cases(ctx, service, 2, priority=10)
    high = seed_cases(ctx, service, 2, priority=90, phones=2, start=10)
    grant = _claim(client, login("enum1"), 3)
    ids = [c["case_id"] for c in grant["cases"]]
    assert ids[:2] == sorted(high, key=lambda i: -i)[:2] or set(ids[:2]) == set(high)
    assert ids[2] in low
    first = grant["cases"][0]
    assert first["phones"][0].startswith("+975") and len(first["phones"]) == 2
    assert first["respondent_name"] and first["assignment_version"] == 1
    assert first["questionnaire_id"] == "set" and first["questionnaire_version"] == 1


def test_a_retried_claim_returns_the_same_grant(ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 10)
    auth = login("enum1")
    body = claim_body(4)
    first = client.post("/v1/queue/claim", json=body, headers=auth).json()
    again = client.post("/v1/queue/claim", json=body, headers=auth).json()
    assert again["grant_id"] == first["grant_id"]
    assert [c["case_id"] for c in again["cases"]] == [c["case_id"] for c in first["cases"]]
    assert _count(ctx, Case, Case.state == "held") == 4


def test_unacknowledged_cases_return_to_the_queue_after_the_delivery_timeout(
        ctx, client, clock, make_user, login):
    make_user("enum1")
    make_user("enum2")
    seed_cases(ctx, seed_service(ctx), 4)
    one, two = login("enum1"), login("enum2")
    lost = _claim(client, one, 2)  # the reply is "lost": never acknowledged
    kept = _claim(client, one, 2)
    r = client.post("/v1/queue/ack", json={"grant_id": kept["grant_id"],
                                           "case_ids": [c["case_id"] for c in kept["cases"]]},
                    headers=one)
    assert sorted(r.json()["acknowledged"]) == sorted(c["case_id"] for c in kept["cases"])
    clock.advance(ctx.settings.delivery_timeout + timedelta(seconds=1))
    regrant = _claim(client, two, 4, device_id="dev-enum2")
    assert sorted(c["case_id"] for c in regrant["cases"]) == sorted(
        c["case_id"] for c in lost["cases"])
    pulled = client.get("/v1/sync/pull", headers=one).json()["changes"]
    assert {c["case_id"] for c in pulled if c["type"] == "case_revoked"} == {
        c["case_id"] for c in lost["cases"]}


def test_claim_outside_hours_hands_out_cases_for_the_next_window(ctx, client, clock,
                                                                 make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 2)
    clock.set(clock.now().replace(hour=16))  # 22:00 Thimphu: after the window
    assert len(_claim(client, login("enum1"), 2)["cases"]) == 2


def test_push_is_effectively_once(ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 2)
    auth = login("enum1")
    case = _claim(client, auth, 1)["cases"][0]
    items = [attempt_item(case, ctx.clock.now() - timedelta(minutes=5)),
             interview_item(case, ctx.clock.now())]
    first = _push(client, auth, items)
    assert [r["status"] for r in first] == ["stored", "stored"]
    replay = _push(client, auth, items)
    assert [r["status"] for r in replay] == ["duplicate", "duplicate"]
    assert _count(ctx, ContactAttempt) == 2  # the no-answer and the interview's own attempt
    assert _count(ctx, InterviewVersion) == 1
    with ctx.sessions() as s:
        stored = s.get(Case, case["case_id"])
        assert stored.state == "closed" and stored.disposition == "complete"
        assert stored.disposition_code == "1.1"


def test_same_uuid_with_other_content_is_refused_and_kept_aside(ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = _claim(client, auth, 1)["cases"][0]
    item = attempt_item(case, ctx.clock.now())
    assert _push(client, auth, [item])[0]["status"] == "stored"
    changed = {**item, "payload": {**item["payload"], "note": "edited"}}
    result = _push(client, auth, [changed])[0]
    assert result["status"] == "rejected_uuid_reuse"
    assert _count(ctx, ContactAttempt) == 1
    with ctx.sessions() as s:
        assert s.scalar(select(ContactAttempt.note)) == ""
    assert _count(ctx, QuarantinedItem) == 1


def test_one_bad_item_never_blocks_the_others(ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 2)
    auth = login("enum1")
    case = _claim(client, auth, 1)["cases"][0]
    now = ctx.clock.now()
    bad_outcome = attempt_item(case, now, outcome="teleported")
    derived = attempt_item(case, now, outcome="complete")
    missing_field = attempt_item(case, now)
    del missing_field["payload"]["started_at"]
    unknown_case = {**attempt_item(case, now), "case_id": 999_999}
    good = attempt_item(case, now)
    results = _push(client, auth, [bad_outcome, derived, missing_field, unknown_case, good])
    assert [r["status"] for r in results] == ["rejected_invalid"] * 4 + ["stored"]
    assert "teleported" in results[0]["detail"]
    assert "interview_version" in results[1]["detail"]
    assert "started_at" in results[2]["detail"]
    assert "quarantine" in results[3]["detail"]
    assert _count(ctx, QuarantinedItem) == 4
    assert _count(ctx, PushedItem) == 5


def test_server_owned_fields_in_a_payload_change_nothing(ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = _claim(client, auth, 1)["cases"][0]
    item = attempt_item(case, ctx.clock.now(), state="closed", holder_id=None,
                        assignment_version=99, stale=True, disposition="complete",
                        aapor_code="1.1", user_id=12345)
    assert _push(client, auth, [item])[0]["status"] == "stored"
    with ctx.sessions() as s:
        stored = s.get(Case, case["case_id"])
        attempt = s.scalar(select(ContactAttempt))
    assert stored.state == "held" and stored.assignment_version == 1
    assert stored.disposition == "no_answer"
    assert attempt.stale is False and attempt.aapor_code == "3.13"


def test_attempts_schedule_the_next_call_and_a_final_outcome_closes(ctx, client, make_user,
                                                                    login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = _claim(client, auth, 1)["cases"][0]
    now = ctx.clock.now()
    _push(client, auth, [attempt_item(case, now, outcome="busy")])
    with ctx.sessions() as s:
        stored = s.get(Case, case["case_id"])
        assert stored.next_call_at == now + timedelta(minutes=15)
        assert stored.state == "held" and stored.attempt_count == 1
    _push(client, auth, [attempt_item(case, now + timedelta(minutes=20),
                                      outcome="hard_refusal", note="do not call")])
    with ctx.sessions() as s:
        stored = s.get(Case, case["case_id"])
        assert stored.state == "closed" and stored.disposition_code == "2.112"
        assert stored.holder_id is None


def test_pull_pages_through_the_callers_feed_only(ctx, client, make_user, login):
    make_user("enum1")
    make_user("enum2")
    make_user("boss", "supervisor")
    ids = seed_cases(ctx, seed_service(ctx), 5)  # also announces the questionnaire
    boss = login("boss")
    r = client.post("/v1/cases/assign", json={"case_ids": ids[:3], "to_user": "enum1",
                                               "force": False, "reason": ""}, headers=boss)
    assert r.status_code == 200, r.text
    one, two = login("enum1"), login("enum2")
    page = client.get("/v1/sync/pull", params={"limit": 2}, headers=one).json()
    assert len(page["changes"]) == 2 and page["has_more"] is True
    rest = client.get("/v1/sync/pull", params={"cursor": page["next_cursor"]},
                      headers=one).json()
    assert rest["has_more"] is False
    changes = page["changes"] + rest["changes"]
    assert [c["type"] for c in changes] == ["questionnaire_available"] + ["case_upsert"] * 3
    assert sorted(c["case_id"] for c in changes[1:]) == ids[:3]
    assert changes[1]["body"]["phones"] and changes[1]["body"]["respondent_name"]
    assert [c["type"] for c in client.get("/v1/sync/pull", headers=two).json()["changes"]
            ] == ["questionnaire_available"]
    again = client.get("/v1/sync/pull", params={"cursor": rest["next_cursor"]},
                       headers=one).json()
    assert again["changes"] == [] and again["next_cursor"] == rest["next_cursor"]
    bad = client.get("/v1/sync/pull", params={"cursor": "abc"}, headers=one)
    assert bad.status_code == 422 and "cursor" in bad.json()["detail"]


def test_reassigned_case_completed_offline_by_its_first_holder_is_kept_as_a_conflict(
        ctx, client, make_user, login):
    make_user("enum1")
    make_user("enum2")
    make_user("boss", "supervisor")
    seed_cases(ctx, seed_service(ctx), 1)
    one, boss = login("enum1"), login("boss")
    case = _claim(client, one, 1)["cases"][0]
    # enum1 goes offline; the supervisor moves the case to enum2 by force
    r = client.post("/v1/cases/assign", json={"case_ids": [case["case_id"]],
                                               "to_user": "enum2", "force": True,
                                               "reason": "enum1 is off sick"}, headers=boss)
    assert r.json()["results"][0]["result"] == "assigned", r.text
    result = _push(client, one, [interview_item(case, ctx.clock.now())])[0]
    assert result["status"] == "stored_conflict" and result["conflict_id"]
    assert _count(ctx, InterviewVersion) == 1
    conflicts = client.get("/v1/conflicts", headers=boss).json()
    listed = conflicts["conflicts"] if isinstance(conflicts, dict) else conflicts
    assert [c["id"] for c in listed] == [result["conflict_id"]]
    with ctx.sessions() as s:
        stored = s.get(Case, case["case_id"])
        assert stored.state == "closed" and stored.disposition == "complete"
        revoked = s.scalar(select(func.count()).select_from(FeedChange).where(
            FeedChange.type == "case_revoked", FeedChange.case_id == case["case_id"]))
        assert revoked >= 2  # enum1 at reassignment, enum2 when the stale completion stood


def test_stale_completion_after_the_new_holder_called_goes_to_a_supervisor(
        ctx, client, make_user, login):
    make_user("enum1")
    make_user("enum2")
    make_user("boss", "supervisor")
    seed_cases(ctx, seed_service(ctx), 1)
    one, two, boss = login("enum1"), login("enum2"), login("boss")
    case = _claim(client, one, 1)["cases"][0]
    client.post("/v1/cases/assign", json={"case_ids": [case["case_id"]], "to_user": "enum2",
                                          "force": True, "reason": "rebalance"}, headers=boss)
    new_copy = _upserts(client, two)[0]
    assert _push(client, two, [attempt_item(new_copy, ctx.clock.now())],
                 "dev-enum2")[0]["status"] == "stored"
    result = _push(client, one, [interview_item(case, ctx.clock.now())])[0]
    assert result["status"] == "stored_conflict"
    with ctx.sessions() as s:
        assert s.get(Case, case["case_id"]).state == "needs_supervisor"


def test_double_completion_keeps_both_and_the_first_stays_primary(ctx, client, make_user,
                                                                  login):
    make_user("enum1")
    make_user("enum2")
    make_user("boss", "supervisor")
    seed_cases(ctx, seed_service(ctx), 1)
    one, two, boss = login("enum1"), login("enum2"), login("boss")
    case = _claim(client, one, 1)["cases"][0]
    client.post("/v1/cases/assign", json={"case_ids": [case["case_id"]], "to_user": "enum2",
                                          "force": True, "reason": "rebalance"}, headers=boss)
    new_copy = _upserts(client, two)[0]
    first = interview_item(new_copy, ctx.clock.now())
    assert _push(client, two, [first], "dev-enum2")[0]["status"] == "stored"
    result = _push(client, one, [interview_item(case, ctx.clock.now())])[0]
    assert result["status"] == "stored_conflict"
    with ctx.sessions() as s:
        primary = s.scalars(select(InterviewVersion.version_uuid)
                            .where(InterviewVersion.primary.is_(True))).all()
    assert primary == [first["payload"]["version_uuid"]]
    assert _count(ctx, InterviewVersion) == 2


def test_an_enumerator_cannot_touch_another_enumerators_cases(ctx, client, make_user, login):
    make_user("enum1")
    make_user("enum2")
    seed_cases(ctx, seed_service(ctx), 2)
    one, two = login("enum1"), login("enum2")
    grant = _claim(client, one, 1)
    case = grant["cases"][0]
    result = _push(client, two, [attempt_item(case, ctx.clock.now())], "dev-enum2")[0]
    assert result["status"] == "rejected_invalid"
    r = client.post("/v1/queue/ack", json={"grant_id": grant["grant_id"],
                                           "case_ids": [case["case_id"]]}, headers=two)
    assert r.json()["acknowledged"] == []
    replay = client.post("/v1/queue/claim", json={**claim_body(1), "request_uuid": "x"},
                         headers=two)
    assert replay.status_code == 422
    assert _count(ctx, ContactAttempt) == 0


def test_every_change_leaves_an_audit_row(ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = _claim(client, auth, 1)["cases"][0]
    _push(client, auth, [attempt_item(case, ctx.clock.now())])
    with ctx.sessions() as s:
        actions = set(s.scalars(select(AuditEntry.action)))
    assert {"auth.login", "case.grant", "push.contact_attempt"} <= actions


def test_a_token_cannot_claim_or_push_as_another_device(ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1", device_id="laptop-1")
    r = client.post("/v1/queue/claim", json=claim_body(1, device_id="laptop-2"), headers=auth)
    assert r.status_code == 403 and "laptop-1" in r.json()["detail"]
    r = client.post("/v1/sync/push", json=push_body([], "laptop-2"), headers=auth)
    assert r.status_code == 403
    assert _count(ctx, Case, Case.state == "held") == 0


def test_an_interview_cannot_set_its_own_completion_review_or_primary(ctx, client, make_user,
                                                                      login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = _claim(client, auth, 1)["cases"][0]
    five_ratings = {"consent": "yes", "availed": "yes", "acc_info": "4", "acc_reach": "5",
                    "time_wait": "3", "time_turnaround": "2", "att_welcome": "5"}
    item = interview_item(case, ctx.clock.now(), five_ratings, completion="complete",
                          review_status="approved", primary=False, stale=True, user_id=999)
    assert _push(client, auth, [item])[0]["status"] == "stored"
    with ctx.sessions() as s:
        version = s.scalar(select(InterviewVersion))
        stored = s.get(Case, case["case_id"])
    assert version.completion == "partial" and version.review_status == "pending"
    assert version.primary is True and version.stale is False and version.user_id != 999
    assert stored.disposition == "partial" and stored.disposition_code == "1.2"
