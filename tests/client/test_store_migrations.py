"""Opening the local database: pragmas, Alembic migrations, the copy made before migrating."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cati_app.client.store import LocalStore, StoreError
from cati_app.client.store.database import alembic_config, head_revision, make_engine
from cati_app.client.store.models import Base
from cati_app.core.clock import FixedClock
from tests.client.helpers import USERNAME, queue_case


def _revision(path: Path) -> str | None:
    with sqlite3.connect(path) as db:
        row = db.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def test_new_file_is_created_at_head_without_a_backup(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "sub" / "new.sqlite3"
    LocalStore.open(path, username=USERNAME, clock=clock).close()
    assert _revision(path) == head_revision() == "0003"
    assert not list(path.parent.glob("*.bak-*"))


def test_connections_are_durable(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "x.sqlite3")
    with engine.connect() as conn:
        pragmas = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                   for name in ("journal_mode", "synchronous", "foreign_keys")}
    engine.dispose()
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}


def test_models_and_migrations_agree(store: LocalStore, store_path: Path) -> None:
    engine = make_engine(store_path)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
    engine.dispose()
    assert diff == []


def test_reopening_at_head_makes_no_copy(store: LocalStore, store_path: Path,
                                         clock: FixedClock) -> None:
    store.store_claim("g", [queue_case(1)])
    store.close()
    LocalStore.open(store_path, username=USERNAME, clock=clock).close()
    assert not list(store_path.parent.glob("*.bak-*"))


def test_an_older_file_is_copied_before_it_is_migrated(tmp_path: Path,
                                                       clock: FixedClock) -> None:
    """A file at revision 'base' (made before the schema was versioned) holding data: the
    copy keeps that data exactly as it was, then the file is upgraded."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (body TEXT)")
        db.execute("INSERT INTO notes VALUES ('answers from last year')")
    store = LocalStore.open(path, username=USERNAME, clock=clock)
    store.close()
    backup = tmp_path / "old.sqlite3.bak-base"
    with sqlite3.connect(backup) as db:
        assert db.execute("SELECT body FROM notes").fetchall() == [("answers from last year",)]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "cases" not in tables and "alembic_version" not in tables
    assert _revision(path) == "0003"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT body FROM notes").fetchall() == [("answers from last year",)]


def test_a_file_from_a_newer_version_is_refused_untouched(store: LocalStore, store_path: Path,
                                                          clock: FixedClock) -> None:
    store.close()
    with sqlite3.connect(store_path) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099'")
    with pytest.raises(StoreError, match="newer version of ServE CATI"):
        LocalStore.open(store_path, username=USERNAME, clock=clock)
    assert _revision(store_path) == "0099"
    assert not list(store_path.parent.glob("*.bak-*"))


def test_a_store_from_before_the_history_summary_shows_its_attempts(
        store: LocalStore, store_path: Path, clock: FixedClock) -> None:
    """0002 fills each case's attempt count and last call from the attempts already there."""
    store.store_claim("g", [queue_case(1), queue_case(2)])
    for minutes, outcome in ((0, "no_answer"), (30, "busy")):
        at = clock.now() - timedelta(hours=3) + timedelta(minutes=minutes)
        store.record_attempt(1, outcome=outcome, phone_index=0, started_at=at, ended_at=at)
    expected = {item.case_id: item for item in store.queue(clock.now())}
    store.close()
    engine = make_engine(store_path)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    engine.dispose()
    assert _revision(store_path) == "0001"

    reopened = LocalStore.open(store_path, username=USERNAME, clock=clock)
    try:
        items = {item.case_id: item for item in reopened.queue(clock.now())}
    finally:
        reopened.close()
    assert items == expected
    assert (items[1].attempt_count, items[1].last_outcome) == (2, "busy")
    assert (items[2].attempt_count, items[2].last_called_at) == (0, None)


def test_a_store_from_before_the_language_flag_opens_and_keeps_it_from_then_on(
        store: LocalStore, store_path: Path, clock: FixedClock) -> None:
    """0003 (issue 18) adds the claim's "language may not match" flag: a store made before
    it opens with the flag off on its cases, and keeps it when a claim sends it."""
    store.store_claim("g", [queue_case(1)])
    store.close()
    engine = make_engine(store_path)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
    engine.dispose()
    assert _revision(store_path) == "0002"

    reopened = LocalStore.open(store_path, username=USERNAME, clock=clock)
    try:
        assert _revision(store_path) == "0003"
        assert reopened.get_case(1).language_may_not_match is False
        flagged = queue_case(2).model_copy(update={"language": "ne",
                                                   "language_may_not_match": True})
        reopened.store_claim("g2", [flagged])
        case = reopened.get_case(2)
        assert (case.language, case.language_may_not_match) == ("ne", True)
    finally:
        reopened.close()
