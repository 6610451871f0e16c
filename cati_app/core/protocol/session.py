"""Signing in and saying hello: tokens, roles, the server's limits and calling rules."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from cati_app.core.protocol.wire import (
    API_VERSION,
    MAX_BATCH_BYTES,
    MAX_ITEMS_PER_BATCH,
    Strict,
    UtcDatetime,
)
from cati_app.core.scheduling import CallingRules


class Role(StrEnum):
    enumerator = "enumerator"
    supervisor = "supervisor"
    analyst = "analyst"
    admin = "admin"
    #: read-only: one agency's scorecard on the web (``/scorecard/``), never names or phones
    agency = "agency"


class TokenRequest(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    device_id: str = Field(min_length=1, max_length=64)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: UtcDatetime
    role: Role
    user_id: int
    username: str
    full_name: str
    server_time: UtcDatetime


class CallingRulesDoc(BaseModel):
    """The calling rules a server plans with (DESIGN.md §3.3), as
    ``cati_app.core.scheduling.CallingRules.to_dict`` gives them, and their version (0: the
    server's configured or built-in rules; each admin change adds one).

    ``rules`` is checked by ``to_rules``, not while reading the message: a desktop that cannot
    read a newer server's rules still syncs, and keeps planning with the rules it had."""

    version: int = Field(ge=0)
    rules: dict[str, Any]

    def to_rules(self) -> CallingRules:
        """ValueError (naming the key) when the rules are not valid."""
        return CallingRules.from_dict(self.rules)

    @classmethod
    def from_rules(cls, rules: CallingRules, version: int) -> CallingRulesDoc:
        return cls(version=version, rules=rules.to_dict())


class CallingRulesUpdate(Strict):
    """An admin's new calling rules: every key optional, a missing key takes the built-in
    default (see CallingRules.from_dict)."""

    rules: dict[str, Any]


class Hello(BaseModel):
    server_time: UtcDatetime
    api_version: str = API_VERSION
    min_client_version: str
    max_items_per_batch: int = MAX_ITEMS_PER_BATCH
    max_batch_bytes: int = MAX_BATCH_BYTES
    #: the rules every desktop plans with; absent from servers that predate it
    calling_rules: CallingRulesDoc | None = None
