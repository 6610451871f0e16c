"""Opening the local SQLite file: pragmas for durability (G1), and Alembic migrations that
copy the file aside before they touch an existing database."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, inspect

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BUSY_TIMEOUT_MS = 30_000


class StoreError(Exception):
    """The local database cannot be used as it is; the message says what to do."""


#: execution option of the engine that LocalStore uses for read-only transactions
READ_ONLY = "cati_read_only"


def make_engine(path: Path) -> Engine:
    # check_same_thread off: the pool hands a connection to one thread at a time, and the UI
    # thread and the sync worker both use the store
    engine = create_engine(f"sqlite:///{path}", connect_args={
        "timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # take transaction control from the sqlite3 module so BEGIN IMMEDIATE is ours
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a commit survives power loss, not just a kill
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock at the start, so a read-then-write never meets SQLITE_BUSY
        # midway. Readers (READ_ONLY) take none: the enumerator can still see the queue when
        # the disk is full or the file read-only, and reads never wait for the sync worker.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, path: Path) -> None:
    """Bring the file to the head revision, copying it to ``<name>.bak-<revision>`` first
    when it already holds data at an older revision."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    _check_known(current, path)
    if _has_tables(engine):
        backup(path, path.with_name(f"{path.name}.bak-{current or 'base'}"))
    config = alembic_config()
    with engine.begin() as connection:  # one transaction: a kill mid-upgrade changes nothing
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def backup(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (a plain file copy would miss what is
    still in the WAL file), written aside and renamed so a kill never leaves half a copy."""
    partial = target.with_name(target.name + ".partial")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
        src.backup(dst)
    os.replace(partial, target)


def _check_known(revision: str | None, path: Path) -> None:
    if revision is None:
        return
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        raise StoreError(
            f"the local database {path} was written by a newer version of ServE CATI "
            f"(schema revision {revision}); install that version or newer to open it"
        ) from None


def _has_tables(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(inspect(connection).get_table_names())
