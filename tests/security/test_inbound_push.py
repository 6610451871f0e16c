"""Inbound push items (issue 11): answers are bounded, and one item with text no database or
workbook can hold never blocks the rest of its batch. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from cati_app.core.protocol import (
    MAX_ANSWER_CHARS,
    MAX_ANSWER_DEPTH,
    MAX_ANSWER_ENTRIES,
    MAX_INTERVIEW_CHARS,
)
from cati_app.server.models import ContactAttempt, InterviewVersion, QuarantinedItem
from tests.support.factories import (
    COMPLETE_ANSWERS,
    attempt_item,
    claim_body,
    interview_item,
    push_body,
    seed_cases,
    seed_service,
)


@pytest.fixture
def held(ctx, client, make_user, login):  # type: ignore[no-untyped-def]
    """Two cases held by enum1, and enum1's auth headers."""
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 2)
    auth = login("enum1")
    cases = client.post("/v1/queue/claim", json=claim_body(2), headers=auth).json()["cases"]
    return cases, auth


def _push(client, auth, items: list[dict[str, Any]]) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    # json.dumps escapes a lone surrogate (as a hostile client may send it); httpx cannot
    r = client.post("/v1/sync/push", content=json.dumps(push_body(items)),
                    headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


OVER_BOUNDS = {
    "too deep": {**COMPLETE_ANSWERS, "comment": _nested(MAX_ANSWER_DEPTH)},
    "255 deep": {**COMPLETE_ANSWERS, "comment": _nested(255)},
    # deep enough to exhaust Python's recursion in the hashing and quarantine (was a 500)
    "900 deep": {**COMPLETE_ANSWERS, "comment": _nested(900)},
    "too many keys": {**COMPLETE_ANSWERS,
                      **{f"extra_{i}": "x" for i in range(MAX_ANSWER_ENTRIES)}},
    "one answer too long": {**COMPLETE_ANSWERS, "comment": "a" * (MAX_ANSWER_CHARS + 1)},
    "7 MB": {**COMPLETE_ANSWERS, "comment": "a" * 7_000_000},
    "interview too long": {**COMPLETE_ANSWERS, **{
        f"note_{i}": "b" * MAX_ANSWER_CHARS for i in range(MAX_INTERVIEW_CHARS
                                                          // MAX_ANSWER_CHARS + 1)}},
}


@pytest.mark.parametrize("shape", list(OVER_BOUNDS))
def test_answers_over_a_bound_are_rejected_and_kept_the_rest_stored(ctx, client, held, shape):
    cases, auth = held
    at = ctx.clock.now()
    bad = interview_item(cases[0], at, answers=OVER_BOUNDS[shape])
    good = attempt_item(cases[1], at)
    results = _push(client, auth, [bad, good])
    assert [x["status"] for x in results] == ["rejected_invalid", "stored"], results
    assert "answer" in results[0]["detail"] or "nest more than" in results[0]["detail"]
    with ctx.sessions() as s:
        assert s.scalars(select(InterviewVersion.item_uuid)).all() == []
        assert s.scalars(select(QuarantinedItem.item_uuid)).all() == [bad["item_uuid"]]


def test_answers_within_the_bounds_are_stored(ctx, client, held):
    cases, auth = held
    at = ctx.clock.now()
    answers = {**COMPLETE_ANSWERS, "comment": "c" * MAX_ANSWER_CHARS,
               "nested": _nested(MAX_ANSWER_DEPTH - 1)}
    results = _push(client, auth, [interview_item(cases[0], at, answers=answers)])
    assert results[0]["status"] == "stored", results


def test_a_nul_in_one_item_rejects_that_item_and_stores_the_rest(ctx, client, held):
    """Regression: on PostgreSQL the whole batch got 422 (the client retried it for ever)."""
    cases, auth = held
    at = ctx.clock.now()
    nul_answer = interview_item(cases[0], at, answers={**COMPLETE_ANSWERS,
                                                       "comment": "good\x00service"})
    nul_note = attempt_item(cases[1], at, note="rang\x00twice")
    good = attempt_item(cases[1], at)
    results = _push(client, auth, [nul_answer, nul_note, good])
    assert [x["status"] for x in results] == ["rejected_invalid", "rejected_invalid",
                                               "stored"], results
    assert "NUL" in results[0]["detail"] and "NUL" in results[1]["detail"]
    with ctx.sessions() as s:
        kept = {q.item_uuid: q.body for q in s.scalars(select(QuarantinedItem))}
        assert s.scalars(select(ContactAttempt.item_uuid)).all() == [good["item_uuid"]]
    assert set(kept) == {nul_answer["item_uuid"], nul_note["item_uuid"]}
    # what the respondent said is kept, the NUL shown as a visible mark
    assert kept[nul_answer["item_uuid"]]["payload"]["answers"]["comment"] == "good\u2400service"
    # a replay of the same item gets its first answer again (rejected, not a reuse of its uuid)
    again = _push(client, auth, [nul_answer])
    assert again[0]["status"] == "rejected_invalid", again


def test_control_characters_are_cleaned_and_stored(ctx, client, held):
    """A vertical tab pasted from a word processor becomes a line break; other characters
    illegal in a workbook (and a lone surrogate, which no database encodes) are dropped."""
    cases, auth = held
    at = ctx.clock.now()
    pasted = {**COMPLETE_ANSWERS, "comment": "first line\x0bsecond\x01 line\ud800"}
    interview = interview_item(cases[0], at, answers=pasted)
    attempt = attempt_item(cases[1], at, note="call\x0bback\x1f later")
    results = _push(client, auth, [interview, attempt])
    assert [x["status"] for x in results] == ["stored", "stored"], results
    with ctx.sessions() as s:
        version = s.scalars(select(InterviewVersion)).one()
        note = s.scalar(select(ContactAttempt.note).where(
            ContactAttempt.item_uuid == attempt["item_uuid"]))
    assert version.answers["comment"] == "first line\nsecond line"
    assert note == "call\nback later"
    # hashed on what was sent: the replay is a duplicate, a changed copy a reuse
    again = _push(client, auth, [interview, attempt])
    assert [x["status"] for x in again] == ["duplicate", "duplicate"], again
    changed = {**interview, "payload": {**interview["payload"], "answers": {
        **pasted, "comment": "first line\nsecond line"}}}
    assert _push(client, auth, [changed])[0]["status"] == "rejected_uuid_reuse"
