"""Pulling the change feed, and the snapshot a new local store starts from."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from cati_app.core.protocol.queue import QueueCase
from cati_app.core.protocol.wire import Strict, UtcDatetime


class ChangeType(StrEnum):
    case_upsert = "case_upsert"
    case_revoked = "case_revoked"
    interview_rejected = "interview_rejected"
    conflict_notice = "conflict_notice"
    questionnaire_available = "questionnaire_available"


class Change(BaseModel):
    seq: int
    type: ChangeType
    case_id: int | None = None
    assignment_version: int | None = None
    body: dict[str, Any] = {}


class PullResponse(BaseModel):
    changes: list[Change]
    next_cursor: str
    has_more: bool
    server_time: UtcDatetime


#: the ``error`` of the 409 a pull gets when its cursor lies beyond the end of the caller's
#: feed (a server restored from a backup): the client takes a fresh snapshot
CURSOR_AHEAD = "cursor_ahead"


class SnapshotRequest(Strict):
    """``POST /v1/sync/snapshot``: where a new (or reset) local store starts from."""

    device_id: str = Field(min_length=1, max_length=64)


class SnapshotResponse(BaseModel):
    """What the enumerator holds now on this device (corrections included in each case) and
    the feed cursor taken in the same transaction: pull from ``cursor`` afterwards."""

    cases: list[QueueCase]
    cursor: str
    #: of ``cases``, how many were moved over from the enumerator's other, quiet device
    handed_over: int = 0
    #: cases left with another device of the enumerator that may still hold unsent work;
    #: the supervisor sees them (``GET /v1/cases/idle-holds``)
    kept_on_other_device: int = 0
    server_time: UtcDatetime
