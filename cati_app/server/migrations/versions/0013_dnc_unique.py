"""do-not-call: at most one entry in force per number

Revision ID: 0011_h15dnc
Revises: 0011_h14push
Create Date: 2026-12-01 18:40:00

Adding a number already on the register is idempotent (issue 15): the service looks first,
and this partial unique index settles the race of two adds of one number at the same moment
(two devices pushing "never call me" for one respondent, a supervisor and an SMS STOP). A
removed entry (``removed_at`` set) stays as history and does not count, so a number can be
removed and added again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_h15dnc"
down_revision = "0011_h14push"
branch_labels = None
depends_on = None

IN_FORCE = sa.text("removed_at IS NULL")


def upgrade() -> None:
    op.create_index("uq_do_not_call_in_force", "do_not_call", ["phone"], unique=True,
                    sqlite_where=IN_FORCE, postgresql_where=IN_FORCE)


def downgrade() -> None:
    op.drop_index("uq_do_not_call_in_force", table_name="do_not_call")
