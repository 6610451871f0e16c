"""Wire models of the sync protocol (DESIGN.md §4), shared by the server and the client.

These are the only shapes that cross between ``client`` and ``server``. Request models refuse
unknown fields so a typo is a clear 422, not silently ignored data; payload models *ignore*
unknown fields instead, so a client that sends server-owned fields (state, holder, status...)
changes nothing (mass-assignment guard) and an older server accepts a newer client's extras.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from cati_app.core.clock import as_utc
from cati_app.core.safe_text import clean_nested, has_nul, nesting_depth
from cati_app.core.scheduling import CallingRules

API_VERSION = "1"
MAX_ITEMS_PER_BATCH = 200
MAX_BATCH_BYTES = 4 * 1024 * 1024
#: Bounds of one interview's answers (docs/api.md "Input limits and hostile input"). The
#: questionnaire asks ~15 items of flat answers (a choice name, a number, a free-text comment
#: or complaint); the bounds leave ample room for that and for a future multi-part answer,
#: while a hostile or broken client cannot store a deep or huge structure that every later
#: reader (the review list, the exports) must walk.
#: the answers mapping is level 1, a list or mapping inside an answer level 2, and so on
MAX_ANSWER_DEPTH = 3
#: names plus list elements at every level of one interview's answers
MAX_ANSWER_ENTRIES = 500
#: characters of text in one answer (the same bound as an attempt's note)
MAX_ANSWER_CHARS = 4000
#: characters of text in all of one interview's answers (names included)
MAX_INTERVIEW_CHARS = 64_000
#: lists or mappings nested in one pushed payload (itself level 1; answers need 4). Deeper is
#: refused for that item, and what is kept of it is cut here, before anything walks it: a
#: body ~1,000 levels deep would otherwise exhaust Python's recursion limit in the hashing
#: and the quarantine (a 500 for the whole batch).
MAX_PAYLOAD_DEPTH = 16
_TOO_DEEP = "__nested_too_deep__"

#: "2026-06-02T10:00" at least: a date, a time, optional seconds, fraction and offset
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_string(value: Any) -> Any:
    """Pydantic would take a number (or a string of digits) as Unix time: a client's bug
    that stores a wrong time silently. On the wire a time is an ISO 8601 string."""
    if isinstance(value, datetime):
        return value  # built in Python (the server's own answers, the client's store)
    if not isinstance(value, str) or not _ISO_DATETIME.match(value.strip()):
        raise ValueError("a time must be an ISO 8601 string such as "
                         "2026-06-02T10:00:00+06:00, not a number")
    return value


UtcDatetime = Annotated[datetime, BeforeValidator(_iso_string), AfterValidator(as_utc)]
"""Every timestamp on the wire is an ISO 8601 string in UTC; a naive one is taken as UTC."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # PostgreSQL cannot hold a NUL (it failed with a misleading "number out of range")
        # and SQLite would keep one silently. Only the request's own text fields: a pushed
        # payload is judged item by item (Lenient), so one bad item never refuses a batch.
        if isinstance(data, dict) and any(isinstance(v, str) and "\x00" in v
                                          for v in data.values()):
            raise ValueError("a text field contains a NUL character (\\0): remove it")
        return data


class Lenient(BaseModel):
    """A pushed payload: its text is cleaned on the way in (docs/api.md "Input limits")."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _inbound_text(cls, data: Any) -> Any:
        # A NUL cannot be stored by PostgreSQL and a client never means one: the item is
        # refused (and kept aside). Other characters a workbook cannot hold are cleaned here,
        # so what is stored can always be exported: a pasted vertical tab is a line break.
        if not isinstance(data, dict):
            return data
        if _TOO_DEEP in data:
            raise ValueError(f"lists or mappings nest more than {MAX_PAYLOAD_DEPTH} levels "
                             "deep in this item")
        if has_nul(data):
            raise ValueError("the text contains a NUL character (\\0), which cannot be "
                             "stored: the item is kept in quarantine for a supervisor")
        return clean_nested(data)


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


def _phone_index_or_first(value: Any) -> Any:
    """An interview's number is read leniently, as servers always have: a payload without it
    (or with something that is not a number's position) was called on the first number. The
    position is still checked against the case's numbers when the item is stored."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return 0


class InterviewVersionPayload(Lenient):
    interview_uuid: uuid.UUID
    version_uuid: uuid.UUID
    base_version_uuid: uuid.UUID | None = None
    #: the bounds of the database columns, so an overlong one is refused with a clear message
    questionnaire_id: str = Field(max_length=64)
    questionnaire_version: int
    language: str = Field(default="en", max_length=8)
    started_at: UtcDatetime
    ended_at: UtcDatetime | None = None
    answers: dict[str, Any]
    #: 0-based position of the number the interview was held on (in the case's phones)
    phone_index: Annotated[int, BeforeValidator(_phone_index_or_first)] = 0

    @field_validator("answers")
    @classmethod
    def _bounded(cls, answers: dict[str, Any]) -> dict[str, Any]:
        problem = answers_problem(answers)
        if problem:
            raise ValueError(problem)
        return answers


def answers_problem(answers: dict[str, Any]) -> str:
    """Why these answers break a bound of docs/api.md "Input limits", or "" when they fit."""
    if nesting_depth(answers, MAX_ANSWER_DEPTH) > MAX_ANSWER_DEPTH:
        return (f"answers nest lists or mappings more than {MAX_ANSWER_DEPTH} levels deep "
                "(an answer is a text, a number or a short list)")
    entries = _entries(answers)
    if entries > MAX_ANSWER_ENTRIES:
        return f"answers hold {entries} names and list elements; at most {MAX_ANSWER_ENTRIES}"
    total = 0
    for name, value in answers.items():
        size = _chars(value)
        if size > MAX_ANSWER_CHARS:
            return (f"answer {name[:64]!r} is {size} characters long; at most "
                    f"{MAX_ANSWER_CHARS}")
        total += len(name) + size
    if total > MAX_INTERVIEW_CHARS:
        return f"answers total {total} characters; at most {MAX_INTERVIEW_CHARS} per interview"
    return ""


def _entries(value: Any) -> int:
    if isinstance(value, dict):
        return len(value) + sum(_entries(v) for v in value.values())
    if isinstance(value, list):
        return len(value) + sum(_entries(v) for v in value)
    return 0


def _chars(value: Any) -> int:
    """The characters a person would read in an answer: its texts, names and numbers."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(len(k) + _chars(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(_chars(v) for v in value)
    return 0 if value is None else len(str(value))


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

    @field_validator("payload")
    @classmethod
    def _cut_too_deep(cls, payload: dict[str, Any]) -> dict[str, Any]:
        # Not refused here (that would refuse the whole batch): marked, so the payload check
        # refuses this item alone, and hashing and quarantine walk a shallow structure.
        if nesting_depth(payload, MAX_PAYLOAD_DEPTH) > MAX_PAYLOAD_DEPTH:
            return {_TOO_DEEP: True}
        return payload


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


# --- holds to review (supervisor) ----------------------------------------------------------

class HoldToReview(BaseModel):
    case_id: int
    holder: str
    device_id: str | None = None
    #: ``other_device``: held on a device other than the one the enumerator last logged in
    #: from (it may still hold unsent work); ``idle``: no device touched it for the idle time
    reason: Literal["idle", "other_device"]
    last_touched: UtcDatetime
    assignment_version: int


class HoldsToReview(BaseModel):
    holds: list[HoldToReview]
    server_time: UtcDatetime


# --- errors --------------------------------------------------------------------------------

class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of the API has this shape."""

    error: str
    detail: str
    fields: list[dict[str, Any]] = []
