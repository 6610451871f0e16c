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
from sqlalchemy import Engine, create_engine, text

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


# --- migrated databases ---------------------------------------------------------------------
# Migrating takes about a second (SQLite rebuilds a table for each ALTER; PostgreSQL does the DDL
# work). So SQLite tests get a copy of a file migrated once per test process (a few
# milliseconds), and PostgreSQL tests a migrated schema from a per-process pool, emptied after
# each test: rows deleted, sequences restarted, so it is as a fresh migration leaves it (a
# schema whose tables or version a test changed is dropped, not reused). Emptying takes
# ~0.07 s where a migration took ~2.9 s on the shared development machine. The app's context
# still runs upgrade(), a no-op at head.

_sqlite_templates: list[Path] = []
_free_schemas: list[str] = []
#: the shape of a freshly migrated schema (columns, indexes, constraints, version)
_fresh_shape: list[tuple] = []


@contextmanager
def migrated_database_url(backend: str, folder: Path, name: str = "server.sqlite3"
                          ) -> Iterator[str]:
    """A database of ``backend`` at the migrations' head with no rows, the test's own."""
    if backend == "sqlite":
        with database_url(backend, folder, name) as url:
            _copy_sqlite(_sqlite_template(), folder / name)
            yield url
        return
    schema = _free_schemas.pop() if _free_schemas else _new_migrated_schema()
    try:
        yield _schema_url(schema)
    finally:
        if _emptied(schema):
            _free_schemas.append(schema)
        else:
            _drop_schema(schema)


def _sqlite_template() -> Path:
    if not _sqlite_templates:
        folder = Path(tempfile.mkdtemp(prefix="cati-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.sqlite3"
        _migrate(f"sqlite:///{path}")
        _sqlite_templates.append(path)
    return _sqlite_templates[0]


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's backup API: a consistent copy whatever the journal mode."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _new_migrated_schema() -> str:
    schema = f"pool_{uuid.uuid4().hex[:12]}"
    with _admin().connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    if not _fresh_schemas_registered:
        atexit.register(_drop_free_schemas)
        _fresh_schemas_registered.append(True)
    _migrate(_schema_url(schema))
    if not _fresh_shape:
        _fresh_shape.append(_shape(schema))
    return schema


_fresh_schemas_registered: list[bool] = []


def _emptied(schema: str) -> bool:
    """Delete every row (children first) and restart every sequence; False if the schema is
    no longer as the migrations left it, or cannot be emptied."""
    from cati_app.server.models import Base

    try:
        if _shape(schema) != _fresh_shape[0]:
            return False
        with _admin().connect() as conn:
            sequences = conn.execute(text(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = :s"), {"s": schema})
            present = {name for (name,) in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema})}
            ordered = [t.name for t in reversed(Base.metadata.sorted_tables)]
            # children first; a table the models do not know (yet) before them all
            tables = sorted(present - set(ordered) - {"alembic_version"}) + [
                name for name in ordered if name in present]
            # TRUNCATE, not DELETE: the audit log refuses row deletes (migration
            # 0006_h9_audit's trigger), and one TRUNCATE of every table is quicker anyway
            listed = ", ".join(f'{schema}."{name}"' for name in tables)
            statements = [f"TRUNCATE {listed}"] if tables else []
            statements += [f"SELECT setval('{schema}.{name}', 1, false)"
                           for (name,) in sequences.all()]
            # one simple query: PostgreSQL runs its statements as one transaction
            conn.connection.driver_connection.execute("; ".join(statements))
        return True
    except Exception:  # noqa: BLE001 - an odd state: drop the schema, never reuse it
        return False


def _shape(schema: str) -> tuple:
    with _admin().connect() as conn:
        return tuple(conn.execute(text(
            "SELECT (SELECT count(*) FROM information_schema.columns WHERE table_schema = :s),"
            " (SELECT count(*) FROM pg_indexes WHERE schemaname = :s),"
            " (SELECT count(*) FROM information_schema.table_constraints"
            "  WHERE table_schema = :s)"), {"s": schema}).one()) + (
            conn.execute(text(f"SELECT version_num FROM {schema}.alembic_version")).scalar(),)


def _schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


_admin_engines: list[Engine] = []


def _admin() -> Engine:
    if not _admin_engines:
        _admin_engines.append(create_engine(PG_URL, isolation_level="AUTOCOMMIT",
                                            pool_size=1))
    return _admin_engines[0]


def _drop_schema(schema: str) -> None:
    with _admin().connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def _drop_free_schemas() -> None:
    for schema in _free_schemas:
        _drop_schema(schema)
    _admin().dispose()


def _migrate(url: str) -> None:
    from cati_app.server.db import make_engine
    from cati_app.server.migrate import upgrade

    engine = make_engine(url, pool_size=1)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
