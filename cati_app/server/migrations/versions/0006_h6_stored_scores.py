"""stored interview scores; trigram indexes for the case search (PostgreSQL)

Revision ID: 0006_h6
Revises: 0002_h4_time
Create Date: 2026-12-01 15:40:00

Issue 14, "The dashboard": every interview version keeps its SET scores (five parameters and
the composite, 1-5, NULL where nothing scores), written when it is stored, so the progress
report adds them up in SQL instead of re-scoring every interview in Python. The versions
stored before are scored here, with the same code the push uses
(services.reporting.stored_scores.backfill).

Issue 14, name search: on PostgreSQL, a trigram (pg_trgm) GIN index on name || ' ' || office ||
' ' || dzongkhag serves the case browser's substring search (``ILIKE '%text%'``; see
services.cases.case_views: a match in one column is a match in the concatenation). One index
on the three, not one per column: office and dzongkhag have few distinct values, and their
indexes' long posting lists cost more than they save. The
extension is created when it is missing (pg_trgm is a trusted extension: the database owner may
create it); where it cannot be, the indexes are left out with a warning and the search still
works, only slower. SQLite keeps its plain scan.
"""

import logging

import sqlalchemy as sa
from alembic import op

from cati_app.server.services.reporting.stored_scores import SCORE_COLUMNS, backfill

revision = "0006_h6"
down_revision = "0002_h4_time"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

TRIGRAM_INDEX = "ix_cases_search_trgm"
#: services.cases.case_views.searched_text, as SQL
SEARCHED_TEXT = "respondent_name || ' ' || office || ' ' || dzongkhag"


def upgrade() -> None:
    with op.batch_alter_table("interview_versions", schema=None) as batch_op:
        for column in SCORE_COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Float(), nullable=True))
    scored = backfill(op.get_bind())
    if scored:
        log.info("scored %d stored interview versions", scored)
    if op.get_bind().dialect.name == "postgresql":
        _trigram_indexes()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    with op.batch_alter_table("interview_versions", schema=None) as batch_op:
        for column in reversed(SCORE_COLUMNS):
            batch_op.drop_column(column)


def _trigram_indexes() -> None:
    schema = _trigram_schema()
    if schema is None:
        log.warning("pg_trgm is not available and could not be created: the case search "
                    "works without its indexes, but slowly at 100,000 cases (docs/deploy.md)")
        return
    opclass = f'"{schema}".gin_trgm_ops'  # qualified: the search_path may not reach it
    op.execute(f"CREATE INDEX {TRIGRAM_INDEX} ON cases USING gin (({SEARCHED_TEXT}) {opclass})")


def _trigram_schema() -> str | None:
    """The schema holding pg_trgm, created in ``public`` when missing (so dropping an
    application schema never drops the extension other schemas' indexes use)."""
    bind = op.get_bind()
    schema = _installed_in(bind)
    for create in ("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
                   "CREATE EXTENSION IF NOT EXISTS pg_trgm"):
        if schema is not None:
            break
        try:
            with bind.begin_nested():  # a refusal must not abort the whole upgrade
                bind.execute(sa.text(create))
        except sa.exc.DBAPIError as exc:
            log.warning("%s: %s", create, str(exc.orig).splitlines()[0])
        schema = _installed_in(bind)
    return schema


def _installed_in(bind: sa.engine.Connection) -> str | None:
    schema = bind.scalar(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'pg_trgm'"))
    return None if schema is None else str(schema)
