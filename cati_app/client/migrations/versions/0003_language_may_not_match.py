"""each case keeps the claim's "language may not match" flag (issue 18)

The server hands a case to someone who may not speak its language only after no speaker was
on shift for a while (the starvation fallback); the case card says so, so the device keeps the
flag the claim, snapshot or feed sent with the case.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (see 0002: the cases table is referenced, a batch copy cannot drop it)
    op.add_column('cases', sa.Column('language_may_not_match', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('cases', 'language_may_not_match')
