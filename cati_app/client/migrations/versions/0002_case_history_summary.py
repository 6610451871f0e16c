"""each case keeps the summary of its call history that the queue shows

The queue of 10,000 cases is read in one plain query of the cases table: counting attempts
and finding the last one per case at every refresh cost as much as the rest of the read.
``replan`` (which already reads the history after every change to it) keeps these current.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import cati_app.client.store.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE ADD COLUMN, not a batch copy of the table: attempts, interviews and
    # the outbox refer to the cases, and SQLite refuses to drop a referenced table
    op.add_column('cases', sa.Column('attempt_count', sa.Integer(), nullable=False,
                                     server_default='0'))
    op.add_column('cases', sa.Column('last_outcome', sa.String(length=32), nullable=True))
    op.add_column('cases', sa.Column('last_called_at',
                                     cati_app.client.store.types.UtcDateTime(), nullable=True))
    # the summary of the history already on this device (last = latest start, then latest id)
    op.execute("""
        UPDATE cases SET
          attempt_count = (SELECT count(*) FROM attempts a WHERE a.case_id = cases.case_id),
          last_called_at = (SELECT max(started_at) FROM attempts a
                            WHERE a.case_id = cases.case_id),
          last_outcome = (SELECT outcome FROM attempts a WHERE a.case_id = cases.case_id
                          ORDER BY started_at DESC, id DESC LIMIT 1)
    """)


def downgrade() -> None:
    for column in ('last_called_at', 'last_outcome', 'attempt_count'):
        op.drop_column('cases', column)  # SQLite 3.35+ drops a column in place
