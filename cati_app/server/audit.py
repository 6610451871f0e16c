"""The append-only audit log, written in the same transaction as the change it records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cati_app.server.models import AuditEntry


def audit(session: Session, *, at: datetime, user_id: int | None, device_id: str = "",
          action: str, entity: str, entity_id: object, details: dict[str, Any] | None = None
          ) -> None:
    """Record who did what to which entity. ``details`` must not carry names or phones."""
    session.add(AuditEntry(at=at, user_id=user_id, device_id=device_id, action=action,
                           entity=entity, entity_id=str(entity_id), details=details or {}))
