"""What enumerators send (attempts, interview versions), the idempotency ledger, quarantine,
conflicts and the per-user change feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from cati_app.server.models.base import Base, BigId


class PushedItem(Base):
    """Every item_uuid ever received, with its content hash and the result given (G3)."""

    __tablename__ = "pushed_items"

    item_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str] = mapped_column(String(500), default="")
    conflict_id: Mapped[int | None]
    received_at: Mapped[datetime]


class QuarantinedItem(Base):
    """Items kept aside, not applied: unknown case, invalid payload, a reused uuid (G4)."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_uuid: Mapped[str] = mapped_column(String(36))
    reason: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    #: a supervisor's decision on the item: "resolved" (acted on) or "dismissed"; NULL while open
    settled_at: Mapped[datetime | None]
    settled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settlement: Mapped[str | None] = mapped_column(String(16))
    settlement_note: Mapped[str] = mapped_column(String(500), default="", server_default="")


class ContactAttempt(Base):
    __tablename__ = "contact_attempts"
    __table_args__ = (Index("ix_contact_attempts_case", "case_id", "started_at"),
                      # the progress report's per-service, per-enumerator counts
                      Index("ix_contact_attempts_service", "service_id", "user_id",
                            "received_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    #: the case's service, copied when the attempt is stored (a case never changes service),
    #: so the reports count attempts per service without joining the cases (migration
    #: 0011_h14push)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str] = mapped_column(String(64))
    assignment_version: Mapped[int]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    phone_index: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str] = mapped_column(String(32))
    aapor_code: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(4000), default="")
    appointment_at: Mapped[datetime | None]
    appointment_kind: Mapped[str | None] = mapped_column(String(8))
    #: sent by someone who no longer held the case at that assignment_version
    stale: Mapped[bool] = mapped_column(default=False)
    #: the interview version this attempt produced, if any
    interview_version_uuid: Mapped[str | None] = mapped_column(String(36))
    received_at: Mapped[datetime]
    #: a supervisor dismissed this (late, final) outcome: kept in the history, but it no
    #: longer decides the case's disposition or next call (see case_plan.load_history)
    dismissed: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: the time the calling rules read: started_at, or received_at when the device's time is
    #: implausible (cati_app.core.time_checks); NULL on rows from before it, read as started_at
    effective_at: Mapped[datetime | None]
    #: what was wrong with the device's times, for a supervisor; empty when plausible
    time_flags: Mapped[list[str]] = mapped_column(default=list, server_default=text("'[]'"))


#: the column is text (String(16)); the annotation lets mypy check what code writes and sends
ReviewState = Literal["pending", "approved", "rejected"]


class ReviewStatus:
    PENDING: Final = "pending"
    APPROVED: Final = "approved"
    REJECTED: Final = "rejected"


class InterviewVersion(Base):
    __tablename__ = "interview_versions"
    __table_args__ = (
        Index("ix_interview_versions_case", "case_id"),
        Index("ix_interview_versions_interview", "interview_uuid"),
        # a case never has two primary interview versions (migration 0002_h1)
        Index("uq_interview_versions_one_primary", "case_id", unique=True,
              sqlite_where=text('"primary"'), postgresql_where=text('"primary"')),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    item_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    interview_uuid: Mapped[str] = mapped_column(String(36))
    base_version_uuid: Mapped[str | None] = mapped_column(String(36))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str] = mapped_column(String(64))
    assignment_version: Mapped[int]
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    questionnaire_version: Mapped[int]
    language: Mapped[str] = mapped_column(String(8), default="en")
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    answers: Mapped[dict[str, Any]]
    #: derived by the server from the answers (an outcome key), never taken from the client
    completion: Mapped[str] = mapped_column(String(32))
    #: problems found against the questionnaire; stored anyway, flagged for review (G4)
    problems: Mapped[list[str]] = mapped_column(default=list)
    #: the version exports use for this case until a supervisor decides otherwise
    primary: Mapped[bool] = mapped_column(default=False)
    stale: Mapped[bool] = mapped_column(default=False)
    review_status: Mapped[ReviewState] = mapped_column(String(16), default=ReviewStatus.PENDING)
    review_comment: Mapped[str] = mapped_column(String(2000), default="")
    received_at: Mapped[datetime]
    #: the SET scores of these answers (1–5), stored with the version so reports add them up
    #: in SQL (services.reporting.stored_scores writes them; migration 0006_h6 filled in the
    #: versions stored before it); NULL where there is nothing to score
    score_accessibility: Mapped[float | None]
    score_timeliness: Mapped[float | None]
    score_attitude: Mapped[float | None]
    score_integrity: Mapped[float | None]
    score_feedback: Mapped[float | None]
    score_composite: Mapped[float | None]


class ConflictStatus:
    OPEN = "open"
    RESOLVED = "resolved"


class Conflict(Base):
    __tablename__ = "conflicts"
    __table_args__ = (Index("ix_conflicts_status", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(16), default=ConflictStatus.OPEN)
    description: Mapped[str] = mapped_column(String(1000))
    #: the interview version uuids involved, primary first
    versions: Mapped[list[str]] = mapped_column(default=list)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str] = mapped_column(String(1000), default="")


class FeedChange(Base):
    """One entry of one user's change feed; (user_id, seq) is dense and commit-ordered."""

    __tablename__ = "feed_changes"
    __table_args__ = (UniqueConstraint("user_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    seq: Mapped[int] = mapped_column(BigId)
    type: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None]
    assignment_version: Mapped[int | None]
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class StoredCallingRules(Base):
    """The calling rules an admin set (one row, id 1), as CallingRules.to_dict; ``version``
    goes up by one with every change, so desktops and server processes notice it."""

    __tablename__ = "calling_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    rules: Mapped[dict[str, Any]]
    version: Mapped[int]
    updated_at: Mapped[datetime]
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
