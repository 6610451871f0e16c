"""The case browser's text search (issue 14): the same matches on both databases, and on
PostgreSQL the query as the server sends it can use the trigram indexes of migration 0006_h6
(a seq scan of 100,000 cases took 150-500 ms; bench/dashboard.py times it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.engine import Connection

from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import Case
from tests.server.factories import seed_service

TRIGRAM_INDEXES = {"ix_cases_search_trgm"}


def seed_named(ctx: AppContext) -> list[int]:
    service = seed_service(ctx)
    now = ctx.clock.now()
    people = [("Karma Dorji", "Thimphu RO", "Thimphu"), ("Pema DORJI", "Paro", "Paro"),
              ("Sonam Wangmo", "Dorji Lam office", "Bumthang"),
              ("Tashi 100%_x", "Paro", "Paro"), ("Kinley Zam", "Haa", "Haa")]
    with transaction(ctx.sessions) as session:
        return list(session.scalars(insert(Case).returning(Case.id), [dict(
            service_id=service, respondent_name=name, phone1=f"+9751710000{i}", office=office,
            dzongkhag=dzongkhag, language="dz", priority=50, state="queued", pool="fresh",
            assignment_version=0, attempt_count=0, next_phone_index=0, created_at=now,
            updated_at=now) for i, (name, office, dzongkhag) in enumerate(people)]))


def search(client, auth: dict[str, str], term: str) -> list[str]:
    r = client.get("/v1/cases", params={"text": term}, headers=auth)
    assert r.status_code == 200, r.text
    return [c["respondent_name"] for c in r.json()["cases"]]


def test_search_matches_part_of_name_office_or_dzongkhag_in_any_case(
        ctx, client, make_user, login) -> None:
    seed_named(ctx)
    make_user("boss", "supervisor")
    boss = login("boss")
    assert search(client, boss, "dorji") == ["Karma Dorji", "Pema DORJI", "Sonam Wangmo"]
    assert search(client, boss, "PARO") == ["Pema DORJI", "Tashi 100%_x"]
    assert search(client, boss, "0%_") == ["Tashi 100%_x"]  # LIKE wildcards are text
    assert search(client, boss, "zz") == []


def test_on_postgresql_the_search_can_use_the_trigram_indexes(
        ctx, client, make_user, login) -> None:
    seed_named(ctx)
    make_user("boss", "supervisor")
    boss = login("boss")
    searches: list[tuple[str, Any]] = []

    def keep(conn: Connection, cursor: Any, statement: str, parameters: Any,
             context: Any, executemany: bool) -> None:
        if "LIKE " in statement and statement.lstrip().upper().startswith("SELECT"):
            searches.append((statement, parameters))

    event.listen(ctx.engine, "before_cursor_execute", keep)
    try:
        assert search(client, boss, "wangmo") == ["Sonam Wangmo"]
    finally:
        event.remove(ctx.engine, "before_cursor_execute", keep)
    assert len(searches) == 2  # the page and its count
    with ctx.engine.connect() as conn:
        indexes = set(conn.scalars(text(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND "
            "tablename = 'cases' AND indexname LIKE '%trgm'"))
                      ) if conn.dialect.name == "postgresql" else set()
        if conn.dialect.name != "postgresql":
            assert indexes == set()  # SQLite keeps its plain scan
            return
        assert indexes == TRIGRAM_INDEXES
        # five rows: the planner would scan them; without seq scans (and without walking the
        # primary key in id order, which a pooled schema's stale statistics can favour) the
        # trigram indexes must be usable
        conn.execute(text("ANALYZE cases"))
        conn.execute(text("SET enable_seqscan = off"))
        conn.execute(text("SET enable_indexscan = off"))
        for statement, parameters in searches:
            plan = "\n".join(conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars())
            assert all(name in plan for name in TRIGRAM_INDEXES), plan
