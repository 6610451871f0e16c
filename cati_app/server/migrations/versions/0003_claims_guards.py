"""claim guards: case exclusions, case flags, indexes for claim limits

Revision ID: 0002_h3
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import cati_app.server.models.base

revision = "0002_h3"
down_revision = "0002_h1"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = cati_app.server.models.base.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_exclusions",
        sa.Column("case_id", BIG, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_case_exclusions_case_id_cases")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_case_exclusions_user_id_users")),
        sa.PrimaryKeyConstraint("case_id", "user_id", name=op.f("pk_case_exclusions")),
    )
    op.create_table(
        "case_flags",
        sa.Column("id", BIG, nullable=False),
        sa.Column("case_id", BIG, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_case_flags_case_id_cases")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_case_flags_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_flags")),
    )
    with op.batch_alter_table("case_flags", schema=None) as batch_op:
        batch_op.create_index("ix_case_flags_case", ["case_id"], unique=False)
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.create_index("ix_grants_user_created", ["user_id", "created_at"], unique=False)
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index("ix_assignments_user_started", ["user_id", "started_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_user_started")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index("ix_grants_user_created")
    with op.batch_alter_table("case_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_case_flags_case")
    op.drop_table("case_flags")
    op.drop_table("case_exclusions")
