"""the SMS channel's outbound queue, delivery receipts and inbound messages

Revision ID: 0011_h17sms
Revises: 0010_set_prep
Create Date: 2026-12-01 18:40:00

Issue 17: an outbound queue in the database with retries and back-off (``sms_outbound``),
receipts stored once per message and state however often the operator repeats them
(``sms_receipts``), respondents' messages as received (``sms_inbound``), each case's channel
plan (``cases.channel_plan``) and the SMS leg of SMS-first cases (``sms_contacts``).
"""

import sqlalchemy as sa
from alembic import op

from cati_app.server.models.base import UtcDateTime

revision = "0011_h17sms"
down_revision = "0010_set_prep"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sms_outbound",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("body", sa.String(1600), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=False),
        sa.Column("gateway_message_id", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("final_at", UtcDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_sms_outbound_due", "sms_outbound", ["state", "next_attempt_at"])
    op.create_index("ix_sms_outbound_gateway_id", "sms_outbound", ["gateway_message_id"])
    op.create_table(
        "sms_receipts",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("gateway_message_id", sa.String(64), nullable=False),
        sa.Column("stat", sa.String(16), nullable=False),
        sa.Column("outbound_id", BIG_ID, sa.ForeignKey("sms_outbound.id"), nullable=True),
        sa.Column("received_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.UniqueConstraint("gateway_message_id", "stat"),
    )
    op.create_table(
        "sms_inbound",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("body", sa.String(1600), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("received_at", UtcDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sms_inbound_phone", "sms_inbound", ["phone", "received_at"])
    op.add_column("cases", sa.Column("channel_plan", sa.String(12), nullable=False,
                                     server_default="cati"))
    op.create_table(
        "sms_contacts",
        sa.Column("case_id", BIG_ID, sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("assignment_version", sa.Integer(), nullable=False),
        sa.Column("invitation_id", BIG_ID, sa.ForeignKey("sms_outbound.id"), nullable=True),
        sa.Column("reminder_id", BIG_ID, sa.ForeignKey("sms_outbound.id"), nullable=True),
        sa.Column("invited_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("reminder_due_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("moved_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("moved_reason", sa.String(200), nullable=False),
    )
    op.create_index("ix_sms_contacts_waiting", "sms_contacts", ["state", "deadline_at"])


def downgrade() -> None:
    op.drop_index("ix_sms_contacts_waiting", table_name="sms_contacts")
    op.drop_table("sms_contacts")
    op.drop_column("cases", "channel_plan")
    op.drop_index("ix_sms_inbound_phone", table_name="sms_inbound")
    op.drop_table("sms_inbound")
    op.drop_table("sms_receipts")
    op.drop_index("ix_sms_outbound_gateway_id", table_name="sms_outbound")
    op.drop_index("ix_sms_outbound_due", table_name="sms_outbound")
    op.drop_table("sms_outbound")
