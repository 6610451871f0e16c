"""Pushing the outbox: items of four kinds, their payloads (bounded answers), one result per
item."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from cati_app.core.protocol.queue import AppointmentKind
from cati_app.core.protocol.wire import (
    _TOO_DEEP,
    MAX_ITEMS_PER_BATCH,
    MAX_PAYLOAD_DEPTH,
    Lenient,
    Strict,
    UtcDatetime,
)
from cati_app.core.safe_text import nesting_depth

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
    #: the respondent's language (a code of core.languages), required with the outcome
    #: ``language_needed`` ("needs a speaker of ..."), ignored with any other (issue 18)
    language: str | None = Field(default=None, max_length=8)


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
    """Why these answers break a bound of docs/api.md "Input limits", or "" when they fit.

    One pass over the answers (every pushed interview comes here): the depth is checked as it
    goes, so the walk never goes deeper than the bound allows."""
    entries, total, too_long = len(answers), 0, ""
    for name, value in answers.items():
        if type(value) is str:  # the everyday answer: no walk
            size = len(value)
        else:
            measured = _measure(value, 2)
            if measured is None:
                return (f"answers nest lists or mappings more than {MAX_ANSWER_DEPTH} levels "
                        "deep (an answer is a text, a number or a short list)")
            size, inner = measured
            entries += inner
        if size > MAX_ANSWER_CHARS and not too_long:
            too_long = (f"answer {name[:64]!r} is {size} characters long; at most "
                        f"{MAX_ANSWER_CHARS}")
        total += len(name) + size
    if entries > MAX_ANSWER_ENTRIES:
        return f"answers hold {entries} names and list elements; at most {MAX_ANSWER_ENTRIES}"
    if too_long:
        return too_long
    if total > MAX_INTERVIEW_CHARS:
        return f"answers total {total} characters; at most {MAX_INTERVIEW_CHARS} per interview"
    return ""


def _measure(value: Any, level: int) -> tuple[int, int] | None:
    """(characters a person would read, names and list elements) of one answer found at
    nesting ``level`` (the answers mapping is level 1), or None when lists or mappings nest
    deeper than MAX_ANSWER_DEPTH. Recursion is bounded by that depth."""
    if isinstance(value, str):
        return len(value), 0
    if isinstance(value, dict | list | tuple):
        if level > MAX_ANSWER_DEPTH:
            return None
        pairs = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        chars, entries = 0, len(value)
        for key, inner in pairs:
            measured = _measure(inner, level + 1)
            if measured is None:
                return None
            chars += measured[0] + (len(key) if isinstance(key, str) else 0)
            entries += measured[1]
        return chars, entries
    return (0 if value is None else len(str(value))), 0


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
