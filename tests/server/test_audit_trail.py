"""The audit trail: ``GET /v1/audit`` (filters, paging, who may read it) and the database
refusing to change or delete an entry, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from cati_app.core.protocol import Role
from cati_app.server.audit import audit
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import AuditEntry
from tests.support.factories import give, seed_case, seed_cid_service


@pytest.fixture
def people(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
           ) -> dict[str, dict[str, str]]:
    make_user("root", Role.admin)
    make_user("sup", Role.supervisor)
    make_user("enum1", Role.enumerator)
    make_user("ana", Role.analyst)
    return {name: login(name) for name in ("root", "sup", "enum1", "ana")}


def write(ctx: AppContext, at: datetime, action: str, entity: str, entity_id: object,
          user_id: int | None = None) -> None:
    with transaction(ctx.sessions) as session:
        audit(session, at=at, user_id=user_id, action=action, entity=entity,
              entity_id=entity_id, details={"n": 1})


def test_supervisors_and_admins_read_it_others_are_refused(client: TestClient, people) -> None:
    for name in ("root", "sup"):
        reply = client.get("/v1/audit", headers=people[name])
        assert reply.status_code == 200, reply.text
        # the logins themselves are audited: the newest first
        assert reply.json()["entries"][0]["action"] == "auth.login"
    for name in ("enum1", "ana"):
        assert client.get("/v1/audit", headers=people[name]).status_code == 403
    assert client.get("/v1/audit").status_code == 401


def test_filters_by_case_user_action_and_thimphu_dates(client: TestClient, ctx: AppContext,
                                                      people, make_user) -> None:
    service = seed_cid_service(ctx)
    case_id = seed_case(ctx, service)
    other_case = seed_case(ctx, service)
    holder = make_user("enum2")
    give(ctx, case_id, holder)
    give(ctx, other_case, holder)
    # 23:30 in Thimphu on 1 June is 17:30 UTC; 00:30 on 3 June is 18:30 UTC on 2 June
    write(ctx, datetime(2026, 6, 1, 17, 30, tzinfo=UTC), "case.note", "case", case_id)
    write(ctx, datetime(2026, 6, 2, 18, 30, tzinfo=UTC), "case.note", "case", case_id)
    headers = people["sup"]

    def actions(**params: object) -> list[tuple[str, str]]:
        reply = client.get("/v1/audit", headers=headers, params=params)
        assert reply.status_code == 200, reply.text
        return [(e["action"], e["entity_id"]) for e in reply.json()["entries"]]

    by_case = actions(case_id=case_id)
    assert by_case and all(entity_id == str(case_id) for _a, entity_id in by_case)
    assert ("case.note", str(case_id)) in by_case
    # the grants were made by the holder (as a claim would): both cases, nobody else's
    assert sorted(actions(user="enum2")) == [("case.grant", str(case_id)),
                                             ("case.grant", str(other_case))]
    assert {a for a, _ in actions(user="sup")} == {"auth.login", "device.new"}
    assert {a for a, _ in actions(action="auth")} == {"auth.login"}
    assert {a for a, _ in actions(action="auth.login")} == {"auth.login"}
    assert actions(action="auth.log") == []  # a group is a whole word, not a prefix
    # the fixed clock says 2 June 10:00 Thimphu: the note of 3 June 00:30 is a day later
    assert actions(**{"from": "2026-06-01", "to": "2026-06-01"}) == [("case.note", str(case_id))]
    on_third = actions(**{"from": "2026-06-03", "to": "2026-06-03"})
    assert on_third == [("case.note", str(case_id))]


def test_pages_newest_first_with_a_total(client: TestClient, ctx: AppContext, people) -> None:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    for n in range(7):
        write(ctx, start + timedelta(minutes=n), "test.step", "case", n + 1)
    first = client.get("/v1/audit", headers=people["root"],
                       params={"action": "test", "limit": 3}).json()
    second = client.get("/v1/audit", headers=people["root"],
                        params={"action": "test", "limit": 3, "offset": 3}).json()
    assert first["total"] == second["total"] == 7
    ids = [e["entity_id"] for e in first["entries"] + second["entries"]]
    assert ids == ["7", "6", "5", "4", "3", "2"]
    assert client.get("/v1/audit", headers=people["root"],
                      params={"limit": 10_000}).status_code == 422


def _refused(ctx: AppContext, statement) -> str:  # noqa: ANN001 - any DML
    with pytest.raises(DBAPIError) as caught, transaction(ctx.sessions) as session:
        session.execute(statement)
    return str(caught.value.orig)


def test_the_database_refuses_to_update_or_delete_an_entry(ctx: AppContext) -> None:
    write(ctx, datetime(2026, 5, 1, tzinfo=UTC), "user.create", "user", 1)
    message = "audit_log is append-only"
    assert message in _refused(ctx, update(AuditEntry).values(action="user.nothing"))
    assert message in _refused(ctx, delete(AuditEntry))
    # not only through the ORM: plain SQL is refused too
    assert message in _refused(ctx, text("UPDATE audit_log SET entity_id = 'x'"))
    assert message in _refused(ctx, text("DELETE FROM audit_log"))
    with transaction(ctx.sessions) as session:
        [entry] = session.query(AuditEntry).all()
        assert (entry.action, entry.entity_id) == ("user.create", "1")
    # appending goes on
    write(ctx, datetime(2026, 5, 2, tzinfo=UTC), "user.create", "user", 2)
    with transaction(ctx.sessions) as session:
        assert session.query(AuditEntry).count() == 2
