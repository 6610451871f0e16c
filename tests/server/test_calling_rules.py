"""Issue 10, "Time": the desktop plans with the server's calling rules, delivered through sync
and changed by an admin without reinstalling anything (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cati_app.client.api import ApiClient
from cati_app.client.store import LocalStore
from cati_app.core.protocol import Role
from cati_app.core.scheduling import CallingRules
from cati_app.server import context
from cati_app.server.context import AppContext
from cati_app.server.models import AuditEntry, Case
from tests.support.constants import PASSWORD
from tests.support.factories import attempt_item, claim_body, push_body, seed_cases, seed_service

#: an hour's retry after no answer instead of three, and Wednesday 3 June 2026 a holiday
NEW_RULES = {"retry_delays_minutes": {"no_answer": 60},
             "calendar": {"holidays": ["2026-06-03"]}}


@pytest.fixture
def admin(make_user, login):
    make_user("root", Role.admin)
    return login("root")


def test_only_valid_rules_from_an_admin_are_taken(client, make_user, login, admin):
    make_user("sup", Role.supervisor)
    refused = client.put("/v1/admin/calling-rules", json={"rules": NEW_RULES},
                         headers=login("sup"))
    assert refused.status_code == 403
    bad = client.put("/v1/admin/calling-rules",
                     json={"rules": {"retry_delays_minutes": {"no_answer": 0}}}, headers=admin)
    assert bad.status_code == 422 and "no_answer" in bad.json()["detail"]
    assert client.get("/v1/admin/calling-rules", headers=admin).json()["version"] == 0


def test_an_admins_change_is_stored_audited_and_announced_in_hello(
        ctx, client, make_user, login, admin):
    before = client.get("/v1/admin/calling-rules", headers=admin).json()
    assert before == {"version": 0, "rules": CallingRules().to_dict()}
    r = client.put("/v1/admin/calling-rules", json={"rules": NEW_RULES}, headers=admin)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["version"] == 1
    assert doc["rules"]["retry_delays_minutes"]["no_answer"] == 60
    assert doc["rules"]["calendar"]["holidays"] == ["2026-06-03"]
    make_user("enum1")
    hello = client.get("/v1/sync/hello", headers=login("enum1")).json()
    assert hello["calling_rules"] == doc
    with ctx.sessions() as s:
        entry = s.scalars(select(AuditEntry).where(
            AuditEntry.action == "calling_rules.update")).one()
        assert entry.entity_id == "1" and entry.details["rules"] == doc["rules"]
    again = client.put("/v1/admin/calling-rules", json={"rules": {}}, headers=admin).json()
    assert again == {"version": 2, "rules": CallingRules().to_dict()}


def test_the_server_plans_with_the_changed_rules_at_once(ctx, client, make_user, login, admin):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = client.post("/v1/queue/claim", json=claim_body(1), headers=auth).json()["cases"][0]
    client.put("/v1/admin/calling-rules", json={"rules": NEW_RULES}, headers=admin)
    now = ctx.clock.now()
    r = client.post("/v1/sync/push", json=push_body([attempt_item(case, now)]), headers=auth)
    assert r.json()["results"][0]["status"] == "stored"
    with ctx.sessions() as s:
        planned = s.get_one(Case, case["case_id"]).next_call_at
    assert planned == now + timedelta(hours=1)


def test_another_server_process_takes_the_change_from_the_database(
        ctx, client, admin, monkeypatch):
    other = AppContext.build(ctx.settings, ctx.clock, engine=ctx.engine)  # a second worker
    with other.transaction():
        assert other.rules == CallingRules()
    client.put("/v1/admin/calling-rules", json={"rules": NEW_RULES}, headers=admin)
    monkeypatch.setattr(context, "RULES_RECHECK_SECONDS", 0.0)  # its recheck falls due
    with other.transaction():
        assert other.rules_version == 1
        assert other.rules.retry_delays["no_answer"] == timedelta(hours=1)


def test_a_desktop_plans_with_the_rules_an_admin_changed_after_its_next_sync(
        ctx, client, make_user, admin, live_server, tmp_path):
    from cati_app.client.sync import SyncEngine

    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 2)
    clock = ctx.clock
    path = tmp_path / "device.sqlite3"
    store = LocalStore.open(path, username="enum1", clock=clock)
    api = ApiClient(live_server.url)
    api.login("enum1", PASSWORD, "dev-enum1")
    engine = SyncEngine(store, api, clock, device_id="dev-enum1", target_queue_size=2)
    try:
        assert engine.run_cycle().claimed == 2
        first, second = (c.case_id for c in store.queue(clock.now()))
        store.record_attempt(first, outcome="no_answer", phone_index=0,
                             started_at=clock.now(), ended_at=clock.now())
        assert store.get_case(first).next_call_at == clock.now() + timedelta(hours=3)

        client.put("/v1/admin/calling-rules", json={"rules": NEW_RULES}, headers=admin)
        assert store.calling_rules() == CallingRules()  # not before it syncs
        report = engine.run_cycle()
        assert report.ok, report.errors
        store.record_attempt(second, outcome="no_answer", phone_index=0,
                             started_at=clock.now(), ended_at=clock.now())
        assert store.get_case(second).next_call_at == clock.now() + timedelta(hours=1)
        assert store.server_rules()["version"] == 1
    finally:
        api.close()
        store.close()
    reopened = LocalStore.open(path, username="enum1", clock=clock)
    try:  # kept in the local store: the rules hold offline, after a restart
        rules = reopened.calling_rules()
        assert rules.retry_delays["no_answer"] == timedelta(hours=1)
        assert not rules.calendar.is_callable(clock.now() + timedelta(days=1))  # holiday
    finally:
        reopened.close()
