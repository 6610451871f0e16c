"""The SMS channel's outbound queue and everything operators send back (issue 17)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cati_app.server.models.base import Base, BigId


class SmsState:
    QUEUED = "queued"  # waiting for its send time (first try or a retry after back-off)
    SENT = "sent"  # the gateway took it (a message id); the receipt may still come
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"  # refused by the gateway for good, or a failed receipt
    EXPIRED = "expired"  # the operator gave up (phone off for days)
    FAILED = "failed"  # retries used up without the gateway ever taking it

    FINAL = (DELIVERED, UNDELIVERABLE, EXPIRED, FAILED)


class SmsOutbound(Base):
    """One message to send. A retry is the same row tried again, so a message is never sent
    twice by the queue itself; a gateway that took a message but whose reply was lost can
    still deliver it twice (SMPP has no idempotency key), which is why invitations say the
    same thing either way."""

    __tablename__ = "sms_outbound"
    __table_args__ = (
        Index("ix_sms_outbound_due", "state", "next_attempt_at"),
        Index("ix_sms_outbound_gateway_id", "gateway_message_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(String(1600))
    #: invitation, reminder, question, confirmation ... (what the channel's plan sent it for)
    purpose: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    state: Mapped[str] = mapped_column(String(16), default=SmsState.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    gateway_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    final_at: Mapped[datetime | None]


class SmsReceipt(Base):
    """Every delivery receipt as it came; a duplicate (same message and state) is stored once
    and counted, so an operator resending receipts changes nothing."""

    __tablename__ = "sms_receipts"
    __table_args__ = (UniqueConstraint("gateway_message_id", "stat"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    gateway_message_id: Mapped[str] = mapped_column(String(64))
    stat: Mapped[str] = mapped_column(String(16))
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("sms_outbound.id"))
    received_at: Mapped[datetime]
    duplicates: Mapped[int] = mapped_column(default=0)


class SmsInbound(Base):
    """A message from a respondent, kept as received (the reply's meaning is in ``kind``)."""

    __tablename__ = "sms_inbound"
    __table_args__ = (Index("ix_sms_inbound_phone", "phone", "received_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(String(1600))
    kind: Mapped[str] = mapped_column(String(8))
    received_at: Mapped[datetime]


class SmsContact(Base):
    """The SMS leg of an SMS-first case: when it was invited, reminded, and until when it
    waits before going to the call queue."""

    __tablename__ = "sms_contacts"
    __table_args__ = (Index("ix_sms_contacts_waiting", "state", "deadline_at"),)

    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    #: waiting (invited), answered (by SMS or the web), moved (to CATI), stopped (opted out)
    state: Mapped[str] = mapped_column(String(12))
    #: the assignment version the channel was given: an answer through the channel is pushed
    #: at it, so one that comes after the case went to the call queue is stale (DESIGN §4)
    assignment_version: Mapped[int]
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("sms_outbound.id"))
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("sms_outbound.id"))
    invited_at: Mapped[datetime]
    reminder_due_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime]
    moved_at: Mapped[datetime | None]
    #: why it left the SMS channel, in words (deadline, undeliverable invitation ...)
    moved_reason: Mapped[str] = mapped_column(String(200), default="")
