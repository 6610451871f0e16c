"""Engine and sessions. SQLite gets WAL, synchronous=FULL, foreign keys, a busy timeout and
``BEGIN IMMEDIATE`` (so two writers never both read-then-write); PostgreSQL uses psycopg 3.

Reads (exports, reports, the token check) use ``read_transaction``: on SQLite a deferred
``BEGIN``, which in WAL mode reads one snapshot and takes no write lock, so an analyst's
6,000-interview export no longer holds every push for seconds; on PostgreSQL a REPEATABLE READ,
READ ONLY transaction (one consistent snapshot for the whole export, and any write is refused).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    any_,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from cati_app.server.errors import CatiError

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: execution option of the read-only engine: its transactions begin without the write lock
READ_ONLY = "cati_read_only"


def make_engine(url: str, pool_size: int = 10) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                               hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    # hide_parameters: error messages never quote the values (names, phones) of a statement
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                         hide_parameters=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        # Take transaction control from the sqlite3 module so BEGIN IMMEDIATE is ours.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN DEFERRED")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def among(session: Session, column: ColumnElement[T] | InstrumentedAttribute[T],
          values: Sequence[T]) -> ColumnElement[bool]:
    """``column IN values``, as each database reads it cheapest. On PostgreSQL one array
    parameter (``column = ANY(:values)``): an IN list of a hundred ids is rendered, cast and
    parsed anew by SQLAlchemy and psycopg on every execution (too long a statement for
    psycopg's cache), a millisecond of the server's CPU per select; on SQLite the IN list."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions over the same pool whose transactions only read (see the module's note)."""
    options: dict[str, object] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return sessionmaker(engine.execution_options(**options), expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def read_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read from a ``make_read_session_factory`` factory: nothing to commit, so it always
    ends with a rollback, and the connection goes back to the pool clean even when the reader
    failed half-way (streams opened on it must be closed before, see services.reporting.exports)."""
    with factory() as session:
        try:
            yield session
        except CatiError:
            raise  # a refusal (404, 422...) before or between queries: the connection is fine
        except BaseException:
            # Failed half-way (a writer died mid-stream): the connection may still carry a
            # cursor someone forgot to close, whose snapshot would make every later write on it
            # fail. It is not worth the risk: close it rather than return it to the pool.
            if session.in_transaction():
                session.connection().invalidate()
            raise
        finally:
            session.rollback()


def refresh_planner_statistics(session: Session) -> None:
    """After a large import PostgreSQL's statistics still describe the old table, and the
    claim's ordered index scan turns into a sort of every queued case (measured: 120 ms instead
    of 0.1 ms at 100,000 cases). ANALYZE is allowed inside the transaction and takes seconds."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE cases"))
