"""Dispositions follow what actually happened (issue 10, issue 11): corrections, a former
holder's late final outcome, "did the new holder already call?", a released or never
acknowledged claim, and answers sent as JSON numbers. Through the HTTP API, both databases."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cati_app.server.models import ContactAttempt, FeedChange, InterviewVersion
from cati_app.server.services.sync import push as push_service
from tests.server.disposition_flow import (
    BREAK_OFF_ANSWERS,
    INDICATORS,
    NOT_USER_ANSWERS,
    PARTIAL_ANSWERS,
    as_held,
    assert_at_most_one_primary,
    claim,
    claimable,
    correct,
    load,
    make_people,
    push,
    rates,
    reassign,
)
from tests.server.export_seed import sheet_rows
from tests.support.factories import (
    COMPLETE_ANSWERS,
    attempt_item,
    interview_item,
    seed_cases,
    seed_service,
)


@pytest.fixture
def people(make_user, login) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return make_people(make_user, login)


def test_a_correction_that_becomes_primary_re_derives_disposition_rates_and_workbook(
        ctx, client, people) -> None:
    seed_cases(ctx, seed_service(ctx), 3)
    cases = claim(client, people["one"], 3)
    first_answers = [COMPLETE_ANSWERS, COMPLETE_ANSWERS, PARTIAL_ANSWERS]
    corrected = [PARTIAL_ANSWERS, NOT_USER_ANSWERS, COMPLETE_ANSWERS]
    firsts = [interview_item(c, ctx.clock.now(), a) for c, a in zip(cases, first_answers,
                                                                     strict=True)]
    assert {r["status"] for r in push(client, people["one"], firsts)} == {"stored"}
    assert rates(client, people["ana"])["I"] == 2
    for case, first, answers in zip(cases, firsts, corrected, strict=True):
        correct(ctx, client, people, case["case_id"], first, answers)

    assert [(load(ctx, c["case_id"]).disposition, load(ctx, c["case_id"]).state)
            for c in cases] == [("partial", "closed"), ("not_user", "closed"),
                                ("complete", "closed")]
    assert [load(ctx, c["case_id"]).disposition_code for c in cases] == ["1.2", "4.10", "1.1"]
    counts = rates(client, people["ana"])
    assert (counts["I"], counts["P"], counts["NE"]) == (1, 1, 1)
    assert_at_most_one_primary(ctx)
    progress = client.get("/v1/reports/progress", headers=people["ana"]).json()
    assert progress["services"][0]["completes_today"] == 1

    r = client.get("/v1/exports/summary.xlsx", headers=people["ana"])
    assert r.status_code == 200, r.text
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    summary = {r["Service"]: r for r in sheet_rows(book, "Summary", "Service")}["CID"]
    sheet_rates = {r["Service"]: r for r in sheet_rows(book, "Response rates", "Service")}["CID"]
    assert (summary["Completed interviews"], summary["Partial interviews"]) == (1, 1)
    assert (sheet_rates["I"], sheet_rates["P"], sheet_rates["NE"]) == (1, 1, 1)


def test_a_supervisor_choosing_the_partial_version_makes_the_case_partial(
        ctx, client, people) -> None:
    """Conflict resolution makes a version primary: the disposition follows that choice, not
    the best outcome any version ever had."""
    [case_id] = seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    reassign(client, people["boss"], case_id, "enum2")
    partial = interview_item(as_held(ctx, case_id), ctx.clock.now(), PARTIAL_ANSWERS)
    assert push(client, people["two"], [partial], "dev-enum2")[0]["status"] == "stored"
    [late] = push(client, people["one"], [interview_item(case, ctx.clock.now())])
    assert late["status"] == "stored_conflict"
    r = client.post(f"/v1/conflicts/{late['conflict_id']}/resolve", headers=people["boss"],
                    json={"primary_version_uuid": partial["payload"]["version_uuid"],
                          "resolution": "the complete one was a test call"})
    assert r.status_code == 200, r.text
    stored = load(ctx, case_id)
    assert (stored.disposition, stored.disposition_code, stored.state) == (
        "partial", "1.2", "closed")
    counts = rates(client, people["ana"])
    assert (counts["I"], counts["P"]) == (0, 1)
    assert_at_most_one_primary(ctx)


# --- a former holder's late final outcome ----------------------------------------------------


def late_refusal(ctx, client, people) -> tuple[int, dict[str, Any]]:
    """enum1 holds the case; it moves to enum2; enum1's offline hard refusal arrives."""
    [case_id] = seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    reassign(client, people["boss"], case_id, "enum2")
    [result] = push(client, people["one"], [attempt_item(case, ctx.clock.now(),
                                                         "hard_refusal", note="never call")])
    assert result["status"] == "stored_conflict" and result["conflict_id"], result
    return case_id, result


def test_a_late_refusal_counts_as_a_refusal_while_it_waits_and_nobody_is_offered_it(
        ctx, client, people) -> None:
    case_id, _ = late_refusal(ctx, client, people)
    stored = load(ctx, case_id)
    assert (stored.state, stored.holder_id) == ("needs_supervisor", None)
    assert (stored.disposition, stored.disposition_code) == ("hard_refusal", "2.112")
    assert stored.pool != "fresh" and stored.attempt_count == 1
    counts = rates(client, people["ana"])
    assert (counts["R"], counts["UH"]) == (1, 0)
    assert case_id not in claimable(client, people["two"], "dev-enum2")
    assert case_id not in claimable(client, people["one"], "dev-enum1")


def test_confirming_a_late_refusal_closes_the_case_with_it(ctx, client, people) -> None:
    case_id, result = late_refusal(ctx, client, people)
    r = client.post(f"/v1/conflicts/{result['conflict_id']}/resolve", headers=people["boss"],
                    json={"decision": "confirm", "resolution": "the respondent refused"})
    assert r.status_code == 200, r.text
    stored = load(ctx, case_id)
    assert (stored.state, stored.disposition, stored.holder_id) == (
        "closed", "hard_refusal", None)
    assert case_id not in claimable(client, people["two"], "dev-enum2")
    assert rates(client, people["ana"])["R"] == 1


def test_dismissing_a_late_refusal_gives_the_case_back_to_its_holder_and_a_no_answer_stays_one(
        ctx, client, people) -> None:
    case_id, result = late_refusal(ctx, client, people)
    r = client.post(f"/v1/conflicts/{result['conflict_id']}/resolve", headers=people["boss"],
                    json={"decision": "dismiss", "resolution": "wrong case on enum1's list"})
    assert r.status_code == 200, r.text
    stored = load(ctx, case_id)
    assert (stored.state, stored.disposition) == ("held", None)
    with ctx.sessions() as s:
        assert stored.holder_id == s.scalar(select(FeedChange.user_id).where(
            FeedChange.case_id == case_id, FeedChange.type == "case_upsert")
            .order_by(FeedChange.seq.desc()).limit(1))
        assert s.scalar(select(func.count()).select_from(ContactAttempt)) == 1  # history kept
    assert stored.pool != "fresh"
    [later] = push(client, people["two"], [attempt_item(as_held(ctx, case_id), ctx.clock.now())],
                   "dev-enum2")
    assert later["status"] == "stored", later
    stored = load(ctx, case_id)
    assert (stored.state, stored.disposition) == ("held", "no_answer")
    assert rates(client, people["ana"])["R"] == 0


def test_a_resolution_decision_is_validated_and_defaults_to_confirm(ctx, client, people
                                                                   ) -> None:
    case_id, result = late_refusal(ctx, client, people)
    url = f"/v1/conflicts/{result['conflict_id']}/resolve"
    bad = client.post(url, headers=people["boss"],
                      json={"decision": "maybe", "resolution": "x"})
    assert bad.status_code == 422
    with_version = client.post(url, headers=people["boss"], json={
        "decision": "confirm", "primary_version_uuid": str(uuid.uuid4()), "resolution": "x"})
    assert with_version.status_code == 422
    # an older client that sends no decision: confirmed, so nobody calls a refuser again
    r = client.post(url, headers=people["boss"], json={"resolution": "ok"})
    assert r.status_code == 200, r.text
    assert (load(ctx, case_id).state, load(ctx, case_id).disposition) == (
        "closed", "hard_refusal")


def test_a_decision_is_refused_for_a_conflict_between_versions(ctx, client, people) -> None:
    [case_id] = seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    reassign(client, people["boss"], case_id, "enum2")
    first = interview_item(as_held(ctx, case_id), ctx.clock.now())
    assert push(client, people["two"], [first], "dev-enum2")[0]["status"] == "stored"
    [late] = push(client, people["one"], [interview_item(case, ctx.clock.now())])
    r = client.post(f"/v1/conflicts/{late['conflict_id']}/resolve", headers=people["boss"],
                    json={"decision": "dismiss", "resolution": "x",
                          "primary_version_uuid": first["payload"]["version_uuid"]})
    assert r.status_code == 422 and "decision" in r.json()["detail"]


def test_the_database_refuses_a_second_primary_version(ctx, client, people) -> None:
    [case_id] = seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    assert push(client, people["one"], [interview_item(case, ctx.clock.now())]
                )[0]["status"] == "stored"
    with ctx.sessions() as s:
        first = s.scalars(select(InterviewVersion)).one()
        twin = {c.key: getattr(first, c.key) for c in InterviewVersion.__table__.columns
                if c.key != "id"}
        twin.update(version_uuid=str(uuid.uuid4()), item_uuid=str(uuid.uuid4()))
        s.add(InterviewVersion(**twin))
        with pytest.raises(IntegrityError):
            s.flush()


# --- did the new holder already call? ----------------------------------------------------------


@pytest.mark.parametrize("new_holder_work", ["break_off", "hard_refusal"])
def test_an_old_completion_after_the_new_holder_closed_the_case_goes_to_the_supervisor(
        ctx, client, people, new_holder_work: str) -> None:
    [case_id] = seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    reassign(client, people["boss"], case_id, "enum2")
    held = as_held(ctx, case_id)
    work = (interview_item(held, ctx.clock.now(), BREAK_OFF_ANSWERS)
            if new_holder_work == "break_off"
            else attempt_item(held, ctx.clock.now(), "hard_refusal", note="never call"))
    assert push(client, people["two"], [work], "dev-enum2")[0]["status"] == "stored"
    assert load(ctx, case_id).state == "closed"  # which bumps the assignment version
    [late] = push(client, people["one"], [interview_item(case, ctx.clock.now())])
    assert late["status"] == "stored_conflict"
    stored = load(ctx, case_id)
    assert stored.state == "needs_supervisor"
    with ctx.sessions() as s:
        kinds = s.scalars(select(FeedChange.body).where(FeedChange.type == "conflict_notice"))
        assert "stale_completion_applied" not in {k["kind"] for k in kinds}
    assert_at_most_one_primary(ctx)


# --- issue 11: a released or never acknowledged claim ------------------------------------------


def test_a_completion_after_releasing_the_case_goes_to_the_supervisor(ctx, client, people
                                                                       ) -> None:
    [case_id] = seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    release = {"item_uuid": str(uuid.uuid4()), "kind": "case_release", "case_id": case_id,
               "assignment_version": case["assignment_version"],
               "payload": {"reason": "the respondent is my relative"}}
    assert push(client, people["one"], [release])[0]["status"] == "stored"
    [late] = push(client, people["one"], [interview_item(case, ctx.clock.now())])
    assert late["status"] == "stored_conflict"
    stored = load(ctx, case_id)
    assert stored.state == "needs_supervisor" and stored.holder_id is None
    assert case_id not in claimable(client, people["two"], "dev-enum2")
    conflict = client.get(f"/v1/conflicts/{late['conflict_id']}", headers=people["boss"]).json()
    assert conflict["kind"] == "stale_completion_held_back"
    assert "released" in conflict["description"]


def test_a_completion_on_a_never_acknowledged_claim_goes_to_the_supervisor(
        ctx, client, clock, people) -> None:
    [case_id] = seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1, ack=False)
    clock.advance(ctx.settings.delivery_timeout + timedelta(seconds=1))
    assert claim(client, people["two"], 1, "dev-enum2")[0]["case_id"] == case_id
    [late] = push(client, people["one"], [interview_item(case, ctx.clock.now())])
    assert late["status"] == "stored_conflict"
    assert load(ctx, case_id).state == "needs_supervisor"


def test_an_old_completion_before_the_new_holder_called_is_still_applied(ctx, client, people
                                                                         ) -> None:
    """The rule of DESIGN §4 the history check must keep: reassigned, new holder idle."""
    [case_id] = seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    reassign(client, people["boss"], case_id, "enum2")
    [late] = push(client, people["one"], [interview_item(case, ctx.clock.now())])
    assert late["status"] == "stored_conflict"
    stored = load(ctx, case_id)
    assert (stored.state, stored.disposition) == ("closed", "complete")


# --- answers as JSON numbers -------------------------------------------------------------------


@pytest.mark.parametrize("fast", [True, False], ids=["fast_path", "per_item"])
def test_answers_sent_as_numbers_are_the_same_answers(ctx, client, people, monkeypatch,
                                                      fast: bool) -> None:
    monkeypatch.setattr(push_service, "FAST_PATH", fast)
    seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    numeric = {k: (int(v) if k in INDICATORS and v.isdigit() else v)
               for k, v in COMPLETE_ANSWERS.items()}
    assert numeric["acc_info"] == 4
    [result] = push(client, people["one"], [interview_item(case, ctx.clock.now(), numeric)])
    assert result["status"] == "stored" and "complete" in result["detail"], result
    with ctx.sessions() as s:
        version = s.scalars(select(InterviewVersion)).one()
    assert version.completion == "complete" and version.answers == COMPLETE_ANSWERS
    assert load(ctx, case["case_id"]).disposition == "complete"


@pytest.mark.parametrize("bad", [{"acc_info": 9}, {"consent": True}, {"acc_info": 4.5}])
def test_a_number_that_is_no_answer_code_rejects_the_item(ctx, client, people, bad) -> None:
    seed_cases(ctx, seed_service(ctx), 1)
    [case] = claim(client, people["one"], 1)
    [result] = push(client, people["one"], [interview_item(case, ctx.clock.now(),
                                                           {**COMPLETE_ANSWERS, **bad})])
    assert result["status"] == "rejected_invalid", result
    [name] = bad
    assert name in result["detail"]
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(InterviewVersion)) == 0
    assert load(ctx, case["case_id"]).state == "held"
