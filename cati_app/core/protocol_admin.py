"""Messages of the admin workspace beyond ``protocol_supervision``: the audit trail, role
changes, accounts locked by failed logins and the call lists (sample batches).

Shared by the server (which answers with them) and the client (which reads them), so the
client never imports the server.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from cati_app.core.languages import LANGUAGES, SKILLS
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


def _known(values: list[str], known: dict[str, str], what: str) -> list[str]:
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"unknown {what} {', '.join(map(repr, unknown))}: use "
                         + ", ".join(f"{code} ({name})" for code, name in known.items()))
    return sorted(set(values), key=list(known).index)  # catalogue order, no repeats


class SkillsChange(Strict):
    """What an enumerator can do (issue 18): the languages they interview in and their
    skills. Both lists replace the old ones; codes are those of ``core.languages``."""

    languages: list[str] = Field(max_length=len(LANGUAGES) * 2)
    skills: list[str] = Field(default=[], max_length=len(SKILLS) * 2)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        return _known(value, LANGUAGES, "language")

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str]) -> list[str]:
        return _known(value, SKILLS, "skill")


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
