"""devices: approved_at (a new device may have to wait for an admin's approval)

Revision ID: 0002_h7
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import cati_app.server.models.base

revision = "0002_h7"
down_revision = "0002_h3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column(
            "approved_at", cati_app.server.models.base.UtcDateTime(timezone=True),
            nullable=True))
    # Devices that were already in use were allowed in: they count as approved.
    op.execute("UPDATE devices SET approved_at = first_seen")


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("approved_at")
