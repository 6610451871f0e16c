"""The call lists (sample batches) imported so far, for the admin and supervisor. Read-only:
callers read through ``ctx.read()``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati_app.server.models import Case, SampleBatch, Service, User


@dataclass(frozen=True)
class BatchLine:
    batch: SampleBatch
    service_code: str
    imported_by: str
    cases: int


def list_batches(session: Session) -> list[BatchLine]:
    """Every batch, newest first, with its service, who imported it and its cases now."""
    counts = (select(Case.batch_id, func.count().label("cases"))
              .group_by(Case.batch_id).subquery())
    rows = session.execute(
        select(SampleBatch, Service.code, User.username, counts.c.cases)
        .join(Service, Service.id == SampleBatch.service_id)
        .outerjoin(User, User.id == SampleBatch.imported_by)
        .outerjoin(counts, counts.c.batch_id == SampleBatch.id)
        .order_by(SampleBatch.imported_at.desc(), SampleBatch.id.desc()))
    return [BatchLine(batch, code, username or "", cases or 0)
            for batch, code, username, cases in rows]
