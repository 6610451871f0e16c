"""What the store hands out: plain frozen dataclasses, safe to pass to any thread or widget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class LocalAttempt:
    attempt_uuid: str
    started_at: datetime
    #: an outcome key of cati_app.core.outcomes
    outcome: str
    aapor_code: str
    phone_index: int
    note: str
    enumerator: str
    #: made on this device and not yet accepted by the server
    pending: bool


@dataclass(frozen=True)
class LocalAppointment:
    at: datetime
    kind: str
    booked_by: str


@dataclass(frozen=True)
class LocalCorrection:
    """A supervisor sent the case's interview back: the new draft is chained to
    ``version_uuid``; ``comment`` says what to correct."""

    version_uuid: str
    comment: str


@dataclass(frozen=True)
class LocalCase:
    case_id: int
    assignment_version: int
    service_code: str
    service_name: str
    questionnaire_id: str
    questionnaire_version: int
    priority: int
    respondent_name: str
    phones: tuple[str, ...]
    office: str
    dzongkhag: str
    date_availed: date | None
    language: str
    attempts: tuple[LocalAttempt, ...]
    next_call_at: datetime | None
    appointment: LocalAppointment | None
    #: 'active' | 'done' | 'revoked'
    state: str
    correction: LocalCorrection | None
    last_outcome: str | None
    next_phone_index: int
    #: issue 18: the claim's starvation fallback handed it out (a speaker may be needed)
    language_may_not_match: bool = False


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One row of the queue: what the table, its counts, the order and the reminders need,
    read in one query. The rest of a case (numbers, history, correction) is read when the
    case is opened (``LocalStore.get_case``): 10,000 of these load in a few tens of ms."""

    case_id: int
    respondent_name: str
    service_code: str
    service_name: str
    office: str
    dzongkhag: str
    priority: int
    date_availed: date | None
    next_call_at: datetime | None
    appointment: LocalAppointment | None
    attempt_count: int
    last_outcome: str | None
    last_called_at: datetime | None
    returned_for_correction: bool


@dataclass(frozen=True)
class InterviewDraft:
    interview_uuid: str
    case_id: int
    questionnaire_id: str
    questionnaire_version: int
    language: str
    answers: dict[str, Any]
    current_item: str | None
    started_at: datetime
    phone_index: int
    base_version_uuid: str | None


@dataclass(frozen=True)
class OutboxItem:
    item_uuid: str
    kind: str
    case_id: int
    assignment_version: int
    payload: dict[str, Any]
    created_at: datetime
    #: how many times the server answered retry_later
    attempts: int


@dataclass(frozen=True)
class SyncLogEntry:
    at: datetime
    level: str
    message: str
