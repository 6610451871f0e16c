"""The databases tests run on: SQLite always, PostgreSQL too when CATI_TEST_PG_URL is set (as in
CI). Each test gets its own database, dropped afterwards, so tests never see each other's rows
(and parallel runs never meet): an empty one (``database_url``: a SQLite file, a PostgreSQL
schema) or one already at the migrations' head (``migrated_database_url``)."""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

PG_URL = os.environ.get("CATI_TEST_PG_URL", "")


def backends() -> list:
    """pytest params: "sqlite", and "postgres" (marked) when PostgreSQL is configured."""
    params: list = ["sqlite"]
    if PG_URL:
        params.append(pytest.param("postgres", marks=pytest.mark.postgres))
    return params


@contextmanager
def postgres_schema(prefix: str = "t") -> Iterator[str]:
    """A database URL whose search_path is a fresh schema; the schema is dropped after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def database_url(backend: str, folder: Path, name: str = "server.sqlite3",
                 prefix: str = "t") -> Iterator[str]:
    """A fresh empty database of ``backend``: a SQLite file in ``folder`` or a schema."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / name}"
        return
    with postgres_schema(prefix) as url:
        yield url


# --- migrated copies -----------------------------------------------------------------------
# Migrating a SQLite database takes about a second (it rebuilds a table for each ALTER);
# copying one migrated once per test process takes a few milliseconds. The copy is the
# migrations' own result, alembic_version included; the app's context still runs upgrade(), a
# no-op at head. PostgreSQL is migrated per test: there the time goes to the server's own DDL
# work, which copying a database (CREATE DATABASE ... TEMPLATE) or replaying the recorded
# statements did not make measurably cheaper.

_sqlite_templates: list[Path] = []


@contextmanager
def migrated_database_url(backend: str, folder: Path, name: str = "server.sqlite3"
                          ) -> Iterator[str]:
    """A fresh database of ``backend`` with the schema at head, dropped after."""
    with database_url(backend, folder, name) as url:
        if backend == "sqlite":
            _copy_sqlite(_sqlite_template(), folder / name)
        else:
            _migrate(url)
        yield url


def _sqlite_template() -> Path:
    if not _sqlite_templates:
        folder = Path(tempfile.mkdtemp(prefix="cati-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.sqlite3"
        _migrate(f"sqlite:///{path}")
        _sqlite_templates.append(path)
    return _sqlite_templates[0]


def _migrate(url: str) -> None:
    from cati_app.server.db import make_engine
    from cati_app.server.migrate import upgrade

    engine = make_engine(url, pool_size=1)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's backup API: a consistent copy whatever the journal mode."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
