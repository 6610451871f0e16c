"""Wire models of the sync protocol (DESIGN.md §4), shared by the server and the client.

These are the only shapes that cross between ``client`` and ``server``. Request models refuse
unknown fields so a typo is a clear 422, not silently ignored data; payload models *ignore*
unknown fields instead, so a client that sends server-owned fields (state, holder, status...)
changes nothing (mass-assignment guard) and an older server accepts a newer client's extras.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cati_app.core.clock import as_utc
from cati_app.core.scheduling import CallingRules

API_VERSION = "1"
MAX_ITEMS_PER_BATCH = 200
MAX_BATCH_BYTES = 4 * 1024 * 1024

UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
"""Every timestamp on the wire is UTC; a naive one is taken as UTC."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


# --- auth and hello ------------------------------------------------------------------------

class Role(StrEnum):
    enumerator = "enumerator"
    supervisor = "supervisor"
    analyst = "analyst"
    admin = "admin"


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


# --- queue ---------------------------------------------------------------------------------

class AppointmentKind(StrEnum):
    hard = "hard"  # reserved for the enumerator who booked it
    soft = "soft"  # anyone may take it


class AttemptSummary(BaseModel):
    started_at: UtcDatetime
    outcome: str
    aapor_code: str
    phone_index: int
    note: str = ""
    enumerator: str = ""


class Appointment(BaseModel):
    at: UtcDatetime
    kind: AppointmentKind
    booked_by: str


class ClaimRequest(Strict):
    request_uuid: uuid.UUID
    device_id: str = Field(min_length=1, max_length=64)
    max_cases: int = Field(ge=1, le=500)


class QueueCase(BaseModel):
    """A case as the holder's device sees it, contact details included."""

    case_id: int
    assignment_version: int
    service_code: str
    service_name: str = ""
    questionnaire_id: str
    questionnaire_version: int
    priority: int
    respondent_name: str
    phones: list[str]
    office: str = ""
    dzongkhag: str = ""
    date_availed: date | None = None
    language: str = "en"
    attempts: list[AttemptSummary] = []
    next_call_at: UtcDatetime | None = None
    appointment: Appointment | None = None
    state: str = "held"
    #: set when a supervisor sent a completed interview back for correction
    correction: dict[str, Any] | None = None


class ClaimResponse(BaseModel):
    grant_id: str
    cases: list[QueueCase]
    server_time: UtcDatetime


class AckRequest(Strict):
    grant_id: str
    case_ids: list[int] = Field(max_length=500)


class AckResponse(BaseModel):
    acknowledged: list[int]
    server_time: UtcDatetime


# --- push ----------------------------------------------------------------------------------

class ItemKind(StrEnum):
    contact_attempt = "contact_attempt"
    appointment = "appointment"
    interview_version = "interview_version"
    case_release = "case_release"


class ContactAttemptPayload(Lenient):
    started_at: UtcDatetime
    ended_at: UtcDatetime | None = None
    phone_index: int = Field(ge=0, le=2)
    #: the outcome key of ``cati_app.core.outcomes`` (e.g. ``no_answer``)
    outcome: str
    #: optional; when given it must match the outcome's AAPOR code
    outcome_code: str | None = None
    note: str = Field(default="", max_length=4000)
    appointment_at: UtcDatetime | None = None
    appointment_kind: AppointmentKind | None = None


class AppointmentPayload(Lenient):
    at: UtcDatetime
    kind: AppointmentKind = AppointmentKind.soft
    note: str = Field(default="", max_length=4000)


class InterviewVersionPayload(Lenient):
    interview_uuid: uuid.UUID
    version_uuid: uuid.UUID
    base_version_uuid: uuid.UUID | None = None
    questionnaire_id: str
    questionnaire_version: int
    language: str = "en"
    started_at: UtcDatetime
    ended_at: UtcDatetime | None = None
    answers: dict[str, Any]


class CaseReleasePayload(Lenient):
    reason: str = Field(default="", max_length=1000)


PAYLOAD_MODELS: dict[ItemKind, type[Lenient]] = {
    ItemKind.contact_attempt: ContactAttemptPayload,
    ItemKind.appointment: AppointmentPayload,
    ItemKind.interview_version: InterviewVersionPayload,
    ItemKind.case_release: CaseReleasePayload,
}


class PushItem(Strict):
    item_uuid: uuid.UUID
    kind: ItemKind
    case_id: int
    assignment_version: int
    #: validated per kind by the server, item by item, so one bad payload never blocks the others
    payload: dict[str, Any]


class PushRequest(Strict):
    device_id: str = Field(min_length=1, max_length=64)
    batch_uuid: uuid.UUID
    items: list[PushItem] = Field(max_length=MAX_ITEMS_PER_BATCH)


class ItemStatus(StrEnum):
    stored = "stored"
    duplicate = "duplicate"
    stored_conflict = "stored_conflict"
    rejected_invalid = "rejected_invalid"
    rejected_uuid_reuse = "rejected_uuid_reuse"
    retry_later = "retry_later"

    @property
    def settled(self) -> bool:
        """The server has decided about this item for good: the client drops it from its
        outbox (a rejected item is kept aside on the client for a person to look at)."""
        return self is not ItemStatus.retry_later


class ItemResult(BaseModel):
    item_uuid: uuid.UUID
    status: ItemStatus
    detail: str = ""
    conflict_id: int | None = None


class PushResponse(BaseModel):
    results: list[ItemResult]
    server_time: UtcDatetime


# --- pull ----------------------------------------------------------------------------------

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


# --- errors --------------------------------------------------------------------------------

class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of the API has this shape."""

    error: str
    detail: str
    fields: list[dict[str, Any]] = []
