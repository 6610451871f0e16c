"""dispositions: dismissed calls, at most one primary interview version per case

Revision ID: 0002_h1
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = "0002_h1"
down_revision = "0001"
branch_labels = None
depends_on = None

PRIMARY_INDEX = "uq_interview_versions_one_primary"


def upgrade() -> None:
    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dismissed", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # A case never has two primary interview versions (exports and dispositions read the
    # primary one). A partial unique index, which SQLite (3.8+) and PostgreSQL both have.
    with op.batch_alter_table("interview_versions", schema=None) as batch_op:
        batch_op.create_index(PRIMARY_INDEX, ["case_id"], unique=True,
                              sqlite_where=sa.text('"primary"'),
                              postgresql_where=sa.text('"primary"'))


def downgrade() -> None:
    with op.batch_alter_table("interview_versions", schema=None) as batch_op:
        batch_op.drop_index(PRIMARY_INDEX)
    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.drop_column("dismissed")
