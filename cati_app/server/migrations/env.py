"""Alembic environment: run with the connection handed in by cati_app.server.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy.schema import SchemaItem

from cati_app.server.models import Base
from cati_app.server.models.fieldwork import CLAIM_INDEX_NAMES


def include_object(obj: SchemaItem, name: str | None, type_: str, reflected: bool,
                   compare_to: SchemaItem | None) -> bool:
    # Created by hand per dialect in 0001 (NULLS FIRST/LAST); not in the models.
    return not (type_ == "index" and name in CLAIM_INDEX_NAMES)


config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `cati-server init` (cati_app.server.migrate)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE via copy on SQLite
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
