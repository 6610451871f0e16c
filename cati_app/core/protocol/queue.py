"""Claiming cases and acknowledging them: the case as its holder's device sees it; holds a
supervisor reviews."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from cati_app.core.protocol.wire import Strict, UtcDatetime


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


class Correction(BaseModel):
    """A completed interview a supervisor sent back to the enumerator who made it: their device
    opens a new draft pre-filled with ``answers``, chained to ``version_uuid``. It travels in
    the case's view (``QueueCase.correction``: claim, snapshot, feed), nowhere else."""

    interview_uuid: str
    #: the rejected version; the corrected one names it as its ``base_version_uuid``
    version_uuid: str
    comment: str = ""
    answers: dict[str, Any] = {}
    #: the rejected version's questionnaire; absent from corrections stored before it was
    #: sent (the device then takes the draft's or the case's)
    questionnaire_id: str | None = None
    questionnaire_version: int | None = None


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
    #: issue 18: no one on shift spoke the case's language, so after the wait it was offered
    #: to an enumerator who may not speak it (the starvation fallback)
    language_may_not_match: bool = False
    attempts: list[AttemptSummary] = []
    next_call_at: UtcDatetime | None = None
    appointment: Appointment | None = None
    state: str = "held"
    #: set when a supervisor sent a completed interview back for correction
    correction: Correction | None = None


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
