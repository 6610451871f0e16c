"""Contact governance (issue 15, DESIGN.md §9.1): the do-not-call register."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from cati_app.server.models.base import Base


class DoNotCall(Base):
    """A number never to be dialled or texted. Rows are never deleted: a removal (admin, with
    a reason) sets ``removed_at``, so the register's history stays readable."""

    __tablename__ = "do_not_call"
    __table_args__ = (
        Index("ix_do_not_call_phone", "phone", "removed_at"),
        # one entry in force per number (migration 0011_h15dnc): concurrent adds stay one
        Index("uq_do_not_call_in_force", "phone", unique=True,
              sqlite_where=text("removed_at IS NULL"),
              postgresql_where=text("removed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: E.164, as ``core.phones.normalize`` gives it
    phone: Mapped[str] = mapped_column(String(20))
    #: respondent ("never call me"), sms_stop, request (to RCSC) or supervisor
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500), default="")
    added_at: Mapped[datetime]
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    removal_reason: Mapped[str] = mapped_column(String(500), default="")
