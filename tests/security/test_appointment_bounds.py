"""Issue 11: appointment times are bounded (both push paths, both backends). Beyond the
horizon ahead, or further in the past than the tolerance, the item is rejected_invalid with a
message the enumerator can act on and kept in quarantine; sensible times are stored."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from cati_app.server.models import Case, ContactAttempt, QuarantinedItem
from tests.support.factories import attempt_item, claim_body, push_body, seed_cases, seed_service


def _setup(ctx, client, make_user, login, n: int = 2):  # type: ignore[no-untyped-def]
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), n)
    auth = login("enum1")
    cases = client.post("/v1/queue/claim", json=claim_body(n), headers=auth).json()["cases"]
    return auth, cases


def _push(client: Any, auth: dict[str, str], items: list[dict[str, Any]]) -> list[dict]:
    r = client.post("/v1/sync/push", json=push_body(items), headers=auth)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def _booking(case: dict[str, Any], now, at, kind: str = "hard") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return attempt_item(case, now - timedelta(minutes=5), "appointment",
                        appointment_at=at.isoformat(), appointment_kind=kind)


def _appointment_item(case: dict[str, Any], at) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {"item_uuid": str(uuid.uuid4()), "kind": "appointment", "case_id": case["case_id"],
            "assignment_version": case["assignment_version"],
            "payload": {"at": at.isoformat(), "kind": "hard"}}


def test_an_appointment_years_ahead_is_rejected_and_kept(ctx, client, make_user, login):
    auth, [one, two] = _setup(ctx, client, make_user, login)
    now = ctx.clock.now()
    # an everyday batch (the fast path) with one mistyped year: only that item is refused
    good, bad = _booking(one, now, now + timedelta(days=2)), _booking(two, now,
                                                                      now + timedelta(days=365))
    results = _push(client, auth, [good, bad])
    assert [r["status"] for r in results] == ["stored", "rejected_invalid"]
    assert "more than 90 days ahead" in results[1]["detail"]
    with ctx.sessions() as s:
        assert s.get(Case, two["case_id"]).appointment_at is None
        assert s.get(Case, one["case_id"]).appointment_at is not None
        kept = s.scalars(select(QuarantinedItem.item_uuid)).all()
        assert kept == [bad["item_uuid"]]
        assert s.scalar(select(func.count()).select_from(ContactAttempt)) == 1


def test_an_appointment_item_beyond_the_horizon_is_rejected(ctx, client, make_user, login):
    auth, [one, two] = _setup(ctx, client, make_user, login)
    now = ctx.clock.now()
    results = _push(client, auth, [_appointment_item(one, now + timedelta(days=91)),
                                   _appointment_item(two, now + timedelta(days=89))])
    assert [r["status"] for r in results] == ["rejected_invalid", "stored"]


def test_past_appointments_within_the_tolerance_are_kept_older_ones_refused(
        ctx, client, make_user, login):
    auth, [one, two] = _setup(ctx, client, make_user, login)
    now = ctx.clock.now()
    # booked offline for two days ago, pushed today: missed, not invalid
    results = _push(client, auth, [_booking(one, now, now - timedelta(days=2), "soft"),
                                   _booking(two, now, now - timedelta(days=400), "soft")])
    assert [r["status"] for r in results] == ["stored", "rejected_invalid"]
    assert "days in the past" in results[1]["detail"]


def test_the_horizon_is_a_setting(ctx, client, make_user, login):
    ctx.settings.appointment_horizon_days = 7
    auth, [one, _] = _setup(ctx, client, make_user, login)
    now = ctx.clock.now()
    [result] = _push(client, auth, [_booking(one, now, now + timedelta(days=8))])
    assert result["status"] == "rejected_invalid" and "7 days ahead" in result["detail"]
