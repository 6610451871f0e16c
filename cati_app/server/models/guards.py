"""Who may no longer be offered a case, and what a supervisor must notice about a case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cati_app.server.models.base import Base, BigId
from cati_app.server.models.fieldwork import Assignment, Grant


class CaseExclusion(Base):
    """A former holder the claim never hands this case to again (they released it, or a
    supervisor returned it to the pool). A supervisor may still assign it to them by hand.
    The primary key (case, user) is the index the claim's NOT EXISTS probes."""

    __tablename__ = "case_exclusions"

    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    #: "released" (by the enumerator) or "returned" (by a supervisor)
    reason: Mapped[str] = mapped_column(String(16))
    #: the words given, shown to supervisors (never sent to other enumerators)
    detail: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime]


class CaseFlag(Base):
    """Something about a case a supervisor should look at (the case table shows the kinds):
    a former holder's hard appointment kept aside, a mass claim."""

    __tablename__ = "case_flags"
    __table_args__ = (Index("ix_case_flags_case", "case_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(500), default="")
    #: who caused it (the former holder, the claimer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


# The claim's limits count a user's recent claims and granted cases along these (declared here,
# with the rules that read them, rather than beside the tables).
Index("ix_grants_user_created", Grant.user_id, Grant.created_at)
Index("ix_assignments_user_started", Assignment.user_id, Assignment.started_at)
