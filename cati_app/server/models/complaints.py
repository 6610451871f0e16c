"""Complaint tickets (issue 16, DESIGN.md §9.4): a complaint from any channel, routed to the
agency of its service, worked open → acknowledged → resolved, with an optional call-back."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cati_app.server.models.base import Base, BigId


class Ticket(Base):
    """No name and no phone number: the text is masked when stored (core.complaints), and the
    respondent is reached, for a call-back, only through ``case_id``'s case."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_service_state", "service_id", "state"),
        Index("ix_tickets_reported_on", "reported_on"),
        Index("ix_tickets_case", "case_id"),
        Index("ix_tickets_follow_up_case", "follow_up_case_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: cati, web, sms or open
    channel: Mapped[str] = mapped_column(String(8))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    office: Mapped[str] = mapped_column(String(200), default="")
    dzongkhag: Mapped[str] = mapped_column(String(100), default="")
    #: the day the complaint was made (an interview's day, in Thimphu)
    reported_on: Mapped[date]
    text: Mapped[str] = mapped_column(String(4000))
    category: Mapped[str] = mapped_column(String(32))
    #: who last set the category by hand; None while the keyword rules chose it (then a
    #: corrected interview may recategorise it)
    category_set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(16), default="open")
    #: the note of the last change
    note: Mapped[str] = mapped_column(String(2000), default="")
    consent_to_follow_up: Mapped[bool] = mapped_column(default=False)
    #: the interview the complaint was given in (cati channel): one ticket per interview,
    #: its corrections update the same ticket
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id"))
    interview_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    #: the call-back case queued when the ticket was resolved with consent
    follow_up_case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("cases.id"))
    #: what the call-back heard: yes, partly, no or dk (core.complaints.FOLLOW_UP_ANSWERS)
    follow_up_answer: Mapped[str | None] = mapped_column(String(16))
    follow_up_comment: Mapped[str] = mapped_column(String(4000), default="")
    follow_up_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    #: the latest resolution (a reopened ticket has none until resolved again)
    resolved_at: Mapped[datetime | None]
