"""a quarantined item can be settled by a supervisor

Revision ID: 0006_lead_quarantine
Revises: 0006_h6
Create Date: 2026-12-01 16:00:00

Issue 13, "A quarantine view": the items the server kept aside stay forever (G4), and a
supervisor marks each one resolved (acted on: re-entered, asked the enumerator) or dismissed
(nothing to do), with who, when and a note.
"""

from alembic import op
import sqlalchemy as sa
import cati_app.server.models.base


revision = '0006_lead_quarantine'
down_revision = '0006_h6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settled_at', cati_app.server.models.base.UtcDateTime(
            timezone=True), nullable=True))
        batch_op.add_column(sa.Column('settled_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('settlement', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('settlement_note', sa.String(length=500), nullable=False,
                                      server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_quarantine_settled_by_users'), 'users',
                                    ['settled_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_quarantine_settled_by_users'), type_='foreignkey')
        batch_op.drop_column('settlement_note')
        batch_op.drop_column('settlement')
        batch_op.drop_column('settled_by')
        batch_op.drop_column('settled_at')
