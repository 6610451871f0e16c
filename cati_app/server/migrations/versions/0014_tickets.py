"""complaint tickets

Revision ID: 0011_h16tix
Revises: 0011_h15dnc
Create Date: 2026-12-01 18:40:00

Issue 16, "Complaints that close the loop": the ``tickets`` table (models/complaints.py). A
complaint given in an interview is one ticket per interview (``interview_uuid`` is unique);
a ticket resolved with the respondent's consent points at its call-back case.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_h16tix"
down_revision = "0011_h15dnc"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("services.id"), nullable=False),
        sa.Column("office", sa.String(200), nullable=False),
        sa.Column("dzongkhag", sa.String(100), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("text", sa.String(4000), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("category_set_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("consent_to_follow_up", sa.Boolean(), nullable=False),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("interview_uuid", sa.String(36), nullable=True, unique=True),
        sa.Column("follow_up_case_id", BIG_ID, sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("follow_up_answer", sa.String(16), nullable=True),
        sa.Column("follow_up_comment", sa.String(4000), nullable=False),
        sa.Column("follow_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_tickets_service_state", "tickets", ["service_id", "state"])
    op.create_index("ix_tickets_reported_on", "tickets", ["reported_on"])
    op.create_index("ix_tickets_case", "tickets", ["case_id"])
    op.create_index("ix_tickets_follow_up_case", "tickets", ["follow_up_case_id"])


def downgrade() -> None:
    for name in ("ix_tickets_follow_up_case", "ix_tickets_case", "ix_tickets_reported_on",
                 "ix_tickets_service_state"):
        op.drop_index(name, table_name="tickets")
    op.drop_table("tickets")
