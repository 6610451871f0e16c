"""Every contact attempt carries its case's service (migration 0011_h14push), so the progress
report counts attempts per service without joining 300,000 attempts to the cases (issue 14)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import select, update

from cati_app.core.protocol import Role
from cati_app.server.migrate import alembic_config
from cati_app.server.models import Case, ContactAttempt
from cati_app.server.services.sync import push as push_service
from tests.support.factories import (
    attempt_item,
    claim_body,
    interview_item,
    push_body,
    seed_cases,
    seed_service,
)


def _attempt_services(ctx) -> list[tuple[int, int]]:
    with ctx.sessions() as s:
        return sorted(tuple(r) for r in s.execute(select(ContactAttempt.service_id, Case.service_id)
                                .join(Case, Case.id == ContactAttempt.case_id)).all())


def _push_work(ctx, client, auth, n: int) -> None:
    cases = client.post("/v1/queue/claim", json=claim_body(n), headers=auth).json()["cases"]
    now = ctx.clock.now()
    items = [attempt_item(c, now) for c in cases[: n // 2]]
    items += [interview_item(c, now) for c in cases[n // 2:]]
    reply = client.post("/v1/sync/push", json=push_body(items), headers=auth).json()
    assert {r["status"] for r in reply["results"]} == {"stored"}


@pytest.mark.parametrize("fast_path", [True, False])
def test_pushed_attempts_carry_their_cases_service(ctx, client, make_user, login, monkeypatch,
                                                  fast_path):
    monkeypatch.setattr(push_service, "FAST_PATH", fast_path)
    make_user("enum1")
    cid, mimo = seed_service(ctx, "CID"), seed_service(ctx, "MIMO")
    seed_cases(ctx, cid, 3)
    seed_cases(ctx, mimo, 3)
    _push_work(ctx, client, login("enum1"), 6)
    rows = _attempt_services(ctx)
    assert len(rows) == 6 and {own for own, _ in rows} == {cid, mimo}
    assert all(own == of_case for own, of_case in rows)


def test_the_migration_fills_in_the_service_and_progress_is_unchanged(
        ctx, client, make_user, login):
    make_user("enum1")
    make_user("ana", Role.analyst)
    seed_cases(ctx, seed_service(ctx, "CID"), 2)
    seed_cases(ctx, seed_service(ctx, "MIMO"), 2)
    _push_work(ctx, client, login("enum1"), 4)
    analyst = login("ana")
    before = client.get("/v1/reports/progress", headers=analyst).json()
    config = alembic_config()
    with ctx.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010_set_prep")  # the column is dropped...
    with ctx.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")  # ...and filled in again from the cases
    rows = _attempt_services(ctx)
    assert len(rows) == 4 and all(own == of_case for own, of_case in rows)
    after = client.get("/v1/reports/progress", headers=analyst).json()
    assert {k: v for k, v in after.items() if k != "generated_at"} == {
        k: v for k, v in before.items() if k != "generated_at"}
    # and progress reads the attempt's own service: move one, and its count moves with it
    with ctx.sessions.begin() as s:
        s.execute(update(ContactAttempt).values(service_id=rows[0][0]))
    moved = client.get("/v1/reports/progress", headers=analyst).json()
    assert sorted(s["attempts_total"] for s in moved["services"]) == [0, 4]
