"""contact_attempts.service_id: the case's service, kept on each attempt

The progress report counts attempts per service and enumerator (all, today, last hour). It
joined 300,000 attempts to 100,000 cases only to read each case's service; the service is
now written with the attempt (a case never changes service) and read from it, along an index
that also serves the per-service, per-day counts.

Revision ID: 0011_h14push
Revises: 0011_h17sms
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_h14push"
down_revision = "0011_h17sms"
branch_labels = None
depends_on = None

INDEX = "ix_contact_attempts_service"


def upgrade() -> None:
    op.add_column("contact_attempts", sa.Column("service_id", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":  # one hash join, not a lookup per row
        op.execute("UPDATE contact_attempts SET service_id = cases.service_id FROM cases "
                   "WHERE cases.id = contact_attempts.case_id")
    else:
        op.execute("UPDATE contact_attempts SET service_id = (SELECT cases.service_id FROM "
                   "cases WHERE cases.id = contact_attempts.case_id)")
    # NOT NULL and the foreign key: a batch copy on SQLite (no table's key points at attempts)
    with op.batch_alter_table("contact_attempts") as batch:
        batch.alter_column("service_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key("fk_contact_attempts_service_id_services", "services",
                                 ["service_id"], ["id"])
    op.create_index(INDEX, "contact_attempts", ["service_id", "user_id", "received_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="contact_attempts")
    with op.batch_alter_table("contact_attempts") as batch:
        batch.drop_constraint("fk_contact_attempts_service_id_services", type_="foreignkey")
        batch.drop_column("service_id")
