"""time flags on attempts, stored calling rules

Revision ID: 0002_h4_time
Revises: 0001
Create Date: 2026-12-01 12:45:00

Issue 10, "Time": a contact attempt keeps what the server found wrong with its device times
(``time_flags``) and the time the calling rules read it at (``effective_at``: the device's
start, or the server's receipt when that start is implausible; NULL on older rows, read as
``started_at``). The calling rules an admin sets are kept in ``calling_rules`` (one row), so
every server process uses them and every desktop gets them through sync.
"""

from alembic import op
import sqlalchemy as sa
import cati_app.server.models.base


revision = '0002_h4_time'
down_revision = '0002_h7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contact_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('effective_at', cati_app.server.models.base.UtcDateTime(
            timezone=True), nullable=True))
        batch_op.add_column(sa.Column('time_flags', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
    op.create_table('calling_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', cati_app.server.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_calling_rules_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calling_rules'))
    )


def downgrade() -> None:
    op.drop_table('calling_rules')
    with op.batch_alter_table('contact_attempts', schema=None) as batch_op:
        batch_op.drop_column('time_flags')
        batch_op.drop_column('effective_at')
