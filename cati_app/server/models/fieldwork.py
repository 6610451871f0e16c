"""Services, questionnaires, sample batches, cases and who holds them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cati_app.core.protocol_supervision import CaseStateName
from cati_app.server.models.base import Base, BigId


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(200), default="")
    questionnaire_id: Mapped[str] = mapped_column(String(64), default="set")


class QuestionnaireVersion(Base):
    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("qid", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    qid: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class SampleBatch(Base):
    __tablename__ = "sample_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    imported_at: Mapped[datetime]
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rows_imported: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)


class CaseState:
    QUEUED: Final = "queued"  # in the pool, claimable
    HELD: Final = "held"  # granted to one enumerator (holder_id) at assignment_version
    NEEDS_SUPERVISOR: Final = "needs_supervisor"  # a conflict stops automatic calling
    CLOSED: Final = "closed"  # a final disposition is reached

    ALL = (QUEUED, HELD, NEEDS_SUPERVISOR, CLOSED)


class Case(Base):
    __tablename__ = "cases"
    # the claim's indexes (one per pool, in the pool's queue order) are declared below the class
    __table_args__ = (
        Index("ix_cases_holder", "holder_id", "state"),
        Index("ix_cases_service_phone", "service_id", "phone1"),
        Index("ix_cases_batch", "batch_id"),
        Index("ix_cases_delivery", "delivery_deadline"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("sample_batches.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    respondent_name: Mapped[str] = mapped_column(String(200))
    phone1: Mapped[str] = mapped_column(String(20))
    phone2: Mapped[str | None] = mapped_column(String(20))
    phone3: Mapped[str | None] = mapped_column(String(20))
    office: Mapped[str] = mapped_column(String(200), default="")
    dzongkhag: Mapped[str] = mapped_column(String(100), default="")
    date_availed: Mapped[date | None]
    language: Mapped[str] = mapped_column(String(8), default="en")
    priority: Mapped[int] = mapped_column(default=50)
    #: set when the case was drawn from a frame (issue 15): its inclusion probability π (the
    #: design weight is 1/π) and its stratum's key; None for a plain call list (unweighted)
    inclusion_probability: Mapped[float | None]
    stratum: Mapped[str | None] = mapped_column(String(200))
    #: "cati" (telephone only) or "sms_first" (issue 17: SMS, then CATI without an answer)
    channel_plan: Mapped[str] = mapped_column(String(12), default="cati")

    # text in the database; the annotation lets mypy check the states code writes and sends
    state: Mapped[CaseStateName] = mapped_column(String(20), default=CaseState.QUEUED)
    #: which claim stage finds this case while queued: fresh, retry or appointment (denormalised
    #: from attempt_count and appointment_at so each stage is one index range scan)
    pool: Mapped[str] = mapped_column(String(12), default="fresh")
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    holder_device: Mapped[str | None] = mapped_column(String(64))
    #: fencing token (G5): bumped on every change of holder; every client write carries it
    assignment_version: Mapped[int] = mapped_column(default=0)
    grant_id: Mapped[str | None] = mapped_column(String(36))
    #: a claimed case must be acknowledged by this time or it returns to the queue
    delivery_deadline: Mapped[datetime | None]

    attempt_count: Mapped[int] = mapped_column(default=0)
    last_called_at: Mapped[datetime | None]
    next_call_at: Mapped[datetime | None]
    next_phone_index: Mapped[int] = mapped_column(default=0)
    appointment_at: Mapped[datetime | None]
    appointment_kind: Mapped[str | None] = mapped_column(String(8))
    appointment_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the supervisor's comment when an interview came back for correction. None is SQL NULL
    #: (not JSON null), so the claim finds returned interviews along a partial index
    correction: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    #: outcome key and AAPOR code of the final (or, while open, provisional) disposition
    disposition: Mapped[str | None] = mapped_column(String(32))
    disposition_code: Mapped[str | None] = mapped_column(String(8))
    plan_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    def phones(self) -> list[str]:
        return [p for p in (self.phone1, self.phone2, self.phone3) if p]

    def held_on(self, user_id: int, device_id: str) -> bool:
        """Whether ``user_id`` holds the case for work from ``device_id`` (G5, issue 10): the
        device it was claimed by or handed to; any of the holder's devices when it was
        granted to no device (a supervisor's assignment or correction)."""
        return self.holder_id == user_id and self.holder_device in (None, device_id)


Index("ix_cases_claim_appointment", Case.state, Case.pool, Case.appointment_at)
#: The fresh and retry claim indexes need NULLS LAST/FIRST, which SQLite allows in ORDER BY but
#: not in CREATE INDEX, so the migrations create them per dialect (CLAIM_INDEXES in 0001, and
#: the partial correction index in 0006_h5_claim).
CLAIM_INDEX_NAMES = ("ix_cases_claim_fresh", "ix_cases_claim_retry",
                     "ix_cases_claim_correction")


class Assignment(Base):
    """Who held which assignment_version of a case, and when: the history behind G5."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    version: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str | None] = mapped_column(String(64))
    grant_id: Mapped[str | None] = mapped_column(String(36))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str] = mapped_column(String(200), default="")


class Grant(Base):
    """One answer to a claim; a retried claim with the same request_uuid returns it again."""

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    device_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    case_ids: Mapped[list[int]]
