"""The pull reply as the desktop release before the typed feed reads it (frozen copy of its
models and of the keys its store reads), for the old-client compatibility test. Do not update
this file when the protocol changes: it stands for desktops already in the field."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class OldAttemptSummary(BaseModel):
    started_at: datetime
    outcome: str
    aapor_code: str
    phone_index: int
    note: str = ""
    enumerator: str = ""


class OldAppointment(BaseModel):
    at: datetime
    kind: str
    booked_by: str


class OldQueueCase(BaseModel):
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
    attempts: list[OldAttemptSummary] = []
    next_call_at: datetime | None = None
    appointment: OldAppointment | None = None
    state: str = "held"
    correction: dict[str, Any] | None = None


class OldChange(BaseModel):
    seq: int
    #: the five types it knows (an unknown one made its whole pull fail)
    type: str
    case_id: int | None = None
    assignment_version: int | None = None
    body: dict[str, Any] = {}


class OldPullResponse(BaseModel):
    changes: list[OldChange]
    next_cursor: str
    has_more: bool
    server_time: datetime


OLD_KNOWN_TYPES = {"case_upsert", "case_revoked", "interview_rejected", "conflict_notice",
                   "questionnaire_available"}


def old_reading(change: OldChange) -> dict[str, Any]:
    """What the old store takes from a change (cati_app/client/store/incoming.py of that
    release): the same ``.get`` calls, so a key it needs and no longer gets shows as None."""
    body = change.body
    if change.type == "case_upsert":
        case = OldQueueCase.model_validate(body)
        correction = case.correction or {}
        return {"case_id": case.case_id, "version_uuid": correction.get("version_uuid"),
                "answers": correction.get("answers"), "comment": correction.get("comment")}
    if change.type == "case_revoked":
        return {"reason": body.get("reason")}
    if change.type == "conflict_notice":
        return {"description": body.get("description") or body.get("detail")}
    if change.type == "questionnaire_available":
        return {"questionnaire_id": body.get("questionnaire_id"), "version": body.get("version")}
    return {"version_uuid": body.get("version_uuid"), "answers": body.get("answers")}
