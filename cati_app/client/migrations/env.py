"""Alembic environment of the local database: run with the connection handed in by
cati_app.client.store.database.migrate."""

from __future__ import annotations

from alembic import context

import cati_app.client.store.models  # noqa: F401 - the tables register on Base.metadata
from cati_app.client.store.types import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the local database migrates through LocalStore.open")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite: ALTER TABLE by copying the table
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
