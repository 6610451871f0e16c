"""Messages of the admin workspace beyond ``protocol_supervision``: the audit trail, role
changes, accounts locked by failed logins and the call lists (sample batches).

Shared by the server (which answers with them) and the client (which reads them), so the
client never imports the server.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from cati_app.core.protocol import Role, Strict, UtcDatetime

#: the largest page of audit entries one request returns
MAX_AUDIT_PAGE = 500


class AuditEntryOut(BaseModel):
    """One line of the audit trail: who (``username``, empty for the system) did ``action``
    to ``entity`` ``entity_id``, from which device, when; ``details`` carry ids and counts,
    never names or phone numbers."""

    id: int
    at: UtcDatetime
    username: str
    device_id: str
    action: str
    entity: str
    entity_id: str
    details: dict[str, Any]


class AuditPage(BaseModel):
    """Newest first; ``total`` counts every entry the filters match."""

    entries: list[AuditEntryOut]
    total: int
    limit: int
    offset: int


class RoleChange(Strict):
    role: Role


class LockedAccount(BaseModel):
    """An account refused for failed logins until ``locked_until`` (an admin can unlock it)."""

    username: str
    failed_logins: int
    locked_until: UtcDatetime


class SampleBatchOut(BaseModel):
    """One imported call list."""

    id: int
    name: str
    service_code: str
    imported_at: UtcDatetime
    imported_by: str
    rows_imported: int
    rows_rejected: int
    cases: int = Field(description="cases of the batch in the database now")
