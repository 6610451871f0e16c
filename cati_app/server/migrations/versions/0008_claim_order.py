"""claim order: returned interviews along their own index; no JSON null in cases.correction

The claim offers queued cases returned for correction before due retries and fresh cases
(core.queue_order). They are found along a partial index ``WHERE correction IS NOT NULL``;
rows whose correction was cleared held JSON ``null`` (not SQL NULL) until now, so they are
set to SQL NULL here (the model writes SQL NULL from now on).

Revision ID: 0006_h5_claim
Revises: 0006_lead_quarantine
"""

from alembic import op

revision = "0006_h5_claim"
down_revision = "0006_lead_quarantine"
branch_labels = None
depends_on = None

INDEX = "ix_cases_claim_correction"
#: in the category's order; SQLite's CREATE INDEX takes no NULLS FIRST (ASC puts them first)
COLUMNS = {"postgresql": "state, priority DESC, last_called_at ASC NULLS FIRST, id",
           "sqlite": "state, priority DESC, last_called_at ASC, id"}


def upgrade() -> None:
    op.execute("UPDATE cases SET correction = NULL "
               "WHERE correction IS NOT NULL AND CAST(correction AS TEXT) = 'null'")
    columns = COLUMNS.get(op.get_bind().dialect.name, COLUMNS["sqlite"])
    op.execute(f"CREATE INDEX {INDEX} ON cases ({columns}) WHERE correction IS NOT NULL")


def downgrade() -> None:
    op.execute(f"DROP INDEX {INDEX}")
