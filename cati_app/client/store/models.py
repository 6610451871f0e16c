"""Tables of the local database. Rows here are private to the store: callers get the frozen
dataclasses of ``views.py``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cati_app.client.store.types import Base


class Meta(Base):
    """Small settings of this store: cursor, clock offset, last sync, owner..."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any]


class CaseRow(Base):
    __tablename__ = "cases"

    case_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    assignment_version: Mapped[int]
    service_code: Mapped[str] = mapped_column(String(32))
    service_name: Mapped[str] = mapped_column(String(200), default="")
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    questionnaire_version: Mapped[int]
    priority: Mapped[int] = mapped_column(default=50)
    respondent_name: Mapped[str] = mapped_column(String(200), default="")
    phones: Mapped[list[str]]
    office: Mapped[str] = mapped_column(String(200), default="")
    dzongkhag: Mapped[str] = mapped_column(String(64), default="")
    date_availed: Mapped[date | None]
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: issue 18: handed out by the claim's starvation fallback (QueueCase.language_may_not_match)
    language_may_not_match: Mapped[bool] = mapped_column(default=False, server_default="0")
    #: 'active' | 'done' | 'revoked'
    state: Mapped[str] = mapped_column(String(8), default="active")
    next_call_at: Mapped[datetime | None]
    next_phone_index: Mapped[int] = mapped_column(default=0)
    plan_reason: Mapped[str] = mapped_column(String(200), default="")
    appointment_at: Mapped[datetime | None]
    appointment_kind: Mapped[str | None] = mapped_column(String(8))
    appointment_by: Mapped[str | None] = mapped_column(String(64))
    #: the summary of the call history the queue shows, kept by ``records.replan``
    attempt_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    last_called_at: Mapped[datetime | None]
    #: the supervisor's request when an interview came back (answers live in the new draft)
    correction: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    revoked_reason: Mapped[str] = mapped_column(String(1000), default="")
    purged_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class AttemptRow(Base):
    """One contact attempt: from the server's history, or made here (then ``item_uuid`` is the
    outbox item that carries it; the attempt is pending while that item is in the outbox)."""

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_case_started", "case_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.case_id"))
    item_uuid: Mapped[str | None] = mapped_column(String(36), unique=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(32))
    aapor_code: Mapped[str] = mapped_column(String(8))
    phone_index: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    enumerator: Mapped[str] = mapped_column(String(64), default="")


class InterviewRow(Base):
    """One version of an interview: open (a draft being filled in) or finished. A correction
    is a new row with the same ``interview_uuid`` and ``base_version_uuid`` set."""

    __tablename__ = "interviews"
    __table_args__ = (Index("ix_interviews_uuid_status", "interview_uuid", "status"),
                      Index("ix_interviews_case_status", "case_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_uuid: Mapped[str] = mapped_column(String(36))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.case_id"))
    questionnaire_id: Mapped[str] = mapped_column(String(64))
    questionnaire_version: Mapped[int]
    language: Mapped[str] = mapped_column(String(8))
    current_item: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    phone_index: Mapped[int]
    base_version_uuid: Mapped[str | None] = mapped_column(String(36))
    #: 'open' | 'finished'
    status: Mapped[str] = mapped_column(String(8), default="open")
    version_uuid: Mapped[str | None] = mapped_column(String(36))
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))


class AnswerRow(Base):
    """One answer, one row: saving an answer writes a few bytes, not the whole interview."""

    __tablename__ = "answers"

    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any]


class OutboxRow(Base):
    __tablename__ = "outbox"

    #: insertion order: the outbox drains oldest first
    seq: Mapped[int] = mapped_column(primary_key=True)
    item_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.case_id"), index=True)
    assignment_version: Mapped[int]
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    last_detail: Mapped[str] = mapped_column(Text, default="")


class RejectedRow(Base):
    """An item the server refused for good: kept for a person to look at, never deleted."""

    __tablename__ = "rejected"

    item_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int]
    assignment_version: Mapped[int]
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    rejected_at: Mapped[datetime]


class QuestionnaireRow(Base):
    """A questionnaire version: wanted (``definition`` None, to fetch) or stored."""

    __tablename__ = "questionnaires"

    qid: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class ClaimRow(Base):
    __tablename__ = "claims"

    grant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_ids: Mapped[list[int]]
    received_at: Mapped[datetime]


class SyncLogRow(Base):
    __tablename__ = "sync_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    level: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(Text)
