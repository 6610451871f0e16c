"""columns the SET issues share: skills, agency, inclusion probability and stratum

Revision ID: 0010_set_prep
Revises: 0006_h9_audit
Create Date: 2026-12-01 18:30:00

Issues 15, 16 and 18 are built side by side; the columns more than one of them reads are added
here, once:
- ``users.languages`` and ``users.skills`` (issue 18): what an enumerator can interview in and
  the supervisor-approved skills (``refusal_conversion``); JSON lists, empty by default;
- ``users.agency`` (issue 16): the agency an ``agency`` account may see (``services.agency``);
- ``cases.inclusion_probability`` and ``cases.stratum`` (issues 15 and 16): set when a case is
  drawn from a frame; NULL for cases imported as a plain call list (then estimates are
  unweighted and say so);
- the ``do_not_call`` register (issue 15, read by the claim, imports, draws and the SMS channel).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_set_prep"
down_revision = "0006_h9_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD/DROP COLUMN (SQLite ≥ 3.35 has both): a batch copy of users or cases would
    # have to drop a table other tables' foreign keys point at
    for column in (sa.Column("languages", sa.JSON(), nullable=False,
                             server_default=sa.text("'[]'")),
                   sa.Column("skills", sa.JSON(), nullable=False,
                             server_default=sa.text("'[]'")),
                   sa.Column("agency", sa.String(200), nullable=True)):
        op.add_column("users", column)
    op.add_column("cases", sa.Column("inclusion_probability", sa.Float(), nullable=True))
    op.add_column("cases", sa.Column("stratum", sa.String(200), nullable=True))
    op.create_table(
        "do_not_call",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("removal_reason", sa.String(500), nullable=False),
    )
    op.create_index("ix_do_not_call_phone", "do_not_call", ["phone", "removed_at"])


def downgrade() -> None:
    op.drop_index("ix_do_not_call_phone", table_name="do_not_call")
    op.drop_table("do_not_call")
    for table, column in (("cases", "stratum"), ("cases", "inclusion_probability"),
                          ("users", "agency"), ("users", "skills"), ("users", "languages")):
        op.drop_column(table, column)
