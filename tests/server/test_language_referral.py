"""Issue 18: "language barrier: needs a speaker of X" sets the case's language and returns it
to the queue for routing; idempotent, audited, and it does not exhaust the case (both
backends)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cati_app.core.languages import ANY
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import Case, CaseExclusion, CaseState
from cati_app.server.services.cases import assignments
from tests.support.factories import (
    attempt_item,
    audits,
    give,
    load_case,
    push_body,
    seed_case,
    seed_cid_service,
)


@pytest.fixture
def held(ctx: AppContext, make_user: Callable[..., int],
         login: Callable[..., dict[str, str]]) -> tuple[dict[str, Any], dict[str, str], int]:
    """A case of unknown language held by karma on dev-<id>, and karma's headers."""
    karma = make_user("karma")
    headers = login("karma", f"dev-{karma}")
    case_id = seed_case(ctx, seed_cid_service(ctx), language=ANY)
    give(ctx, case_id, karma)
    return {"case_id": case_id, "assignment_version": 1}, headers, karma


def push(client: TestClient, headers: dict[str, str], user_id: int, *items: dict[str, Any]
         ) -> list[dict[str, Any]]:
    r = client.post("/v1/sync/push", json=push_body(list(items), f"dev-{user_id}"),
                    headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_a_referral_sets_the_language_and_returns_the_case_to_the_queue(
        client: TestClient, ctx: AppContext, held: tuple[dict[str, Any], dict[str, str], int]
        ) -> None:
    case, headers, karma = held
    item = attempt_item(case, ctx.clock.now() - timedelta(minutes=2), "language_needed",
                        language="ne", outcome_code="2.33")
    [result] = push(client, headers, karma, item)
    assert result["status"] == "stored", result
    stored = load_case(ctx, case["case_id"])
    assert (stored.language, stored.state, stored.holder_id) == ("ne", CaseState.QUEUED, None)
    assert stored.next_call_at is not None and stored.next_call_at <= ctx.clock.now()
    assert stored.disposition_code == "2.33" and stored.closed_at is None
    [changed] = audits(ctx, "case.language", case["case_id"])
    assert changed.details == {"before": "any", "after": "ne", "why": "language_needed"}
    assert changed.user_id == karma
    with ctx.sessions() as session:  # the referrer is not offered it again by a claim
        assert session.scalar(select(CaseExclusion.detail).where(
            CaseExclusion.case_id == case["case_id"], CaseExclusion.user_id == karma)
        ) == "language barrier: needs a Lhotshamkha (Nepali) speaker"
    # a replay (a lost reply) changes nothing and records nothing more
    [again] = push(client, headers, karma, item)
    assert again["status"] == "duplicate"
    assert len(audits(ctx, "case.language", case["case_id"])) == 1


def test_a_referral_after_five_unanswered_calls_does_not_close_the_case(
        client: TestClient, ctx: AppContext, held: tuple[dict[str, Any], dict[str, str], int]
        ) -> None:
    """The cap (6) counts calls that reached no one; the sixth call reached the respondent."""
    case, headers, karma = held
    start = ctx.clock.now() - timedelta(hours=3)
    busy = [attempt_item(case, start + timedelta(minutes=20 * i), "busy") for i in range(5)]
    assert {r["status"] for r in push(client, headers, karma, *busy)} == {"stored"}
    [result] = push(client, headers, karma, attempt_item(
        case, ctx.clock.now() - timedelta(minutes=1), "language_needed", language="dz"))
    assert result["status"] == "stored"
    stored = load_case(ctx, case["case_id"])
    assert (stored.state, stored.attempt_count, stored.language) == (CaseState.QUEUED, 6, "dz")


@pytest.mark.parametrize("language", [None, "fr", "any"])
def test_a_referral_without_a_known_language_is_refused(
        client: TestClient, ctx: AppContext,
        held: tuple[dict[str, Any], dict[str, str], int], language: str | None) -> None:
    case, headers, karma = held
    extra = {} if language is None else {"language": language}
    [result] = push(client, headers, karma, attempt_item(
        case, ctx.clock.now(), "language_needed", **extra))
    assert result["status"] == "rejected_invalid"
    assert "needs the respondent's language" in result["detail"] and "tsj" in result["detail"]
    stored = load_case(ctx, case["case_id"])
    assert (stored.language, stored.state) == (ANY, CaseState.HELD)


def test_a_language_on_another_outcome_is_ignored(
        client: TestClient, ctx: AppContext, held: tuple[dict[str, Any], dict[str, str], int]
        ) -> None:
    case, headers, karma = held
    [result] = push(client, headers, karma, attempt_item(case, ctx.clock.now(), "no_answer",
                                                         language="ne"))
    assert result["status"] == "stored"
    stored = load_case(ctx, case["case_id"])
    assert (stored.language, stored.state) == (ANY, CaseState.HELD)


def test_a_former_holders_referral_is_kept_but_does_not_move_the_case(
        client: TestClient, ctx: AppContext, make_user: Callable[..., int],
        held: tuple[dict[str, Any], dict[str, str], int]) -> None:
    case, headers, karma = held
    boss = make_user("boss", "supervisor")
    with transaction(ctx.sessions) as session:
        assignments.return_to_pool(session, session.get_one(Case, case["case_id"]),
                                   at=ctx.clock.now(), reason="taken back", by=boss)
    [result] = push(client, headers, karma, attempt_item(
        case, ctx.clock.now() - timedelta(minutes=1), "language_needed", language="tsj"))
    assert result["status"] in ("stored", "stored_conflict"), result
    assert load_case(ctx, case["case_id"]).language == ANY
    assert audits(ctx, "case.language", case["case_id"]) == []
