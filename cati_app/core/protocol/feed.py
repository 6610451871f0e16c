"""Pulling the change feed, and the snapshot a new local store starts from."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PlainValidator, TypeAdapter, ValidationError

from cati_app.core.protocol.queue import Correction, QueueCase
from cati_app.core.protocol.wire import Strict, UtcDatetime


class ChangeType(StrEnum):
    case_upsert = "case_upsert"
    case_revoked = "case_revoked"
    #: written by servers before the correction travelled in the case's view; still read, as
    #: such entries may wait in a feed
    interview_rejected = "interview_rejected"
    conflict_notice = "conflict_notice"
    questionnaire_available = "questionnaire_available"


# --- bodies: one model per change type ------------------------------------------------------

class CaseRevokedBody(BaseModel):
    reason: str = ""


class ConflictNoticeBody(BaseModel):
    conflict_id: int
    #: what kind of conflict (``stale_completion``, ``implausible_time``...)
    kind: str
    description: str = ""


class QuestionnaireAvailableBody(BaseModel):
    questionnaire_id: str
    version: int


#: what a server writes into a feed (``interview_rejected`` is no longer written)
FeedBody = QueueCase | CaseRevokedBody | ConflictNoticeBody | QuestionnaireAvailableBody


# --- changes: a union discriminated by ``type`` ---------------------------------------------

class _Change(BaseModel):
    seq: int
    case_id: int | None = None
    assignment_version: int | None = None


class CaseUpsert(_Change):
    """The holder's full, current view of a case (a grant, a change of its plan, a
    correction)."""

    type: Literal[ChangeType.case_upsert] = ChangeType.case_upsert
    body: QueueCase


class CaseRevoked(_Change):
    """The case left this user (or device) at ``assignment_version``."""

    type: Literal[ChangeType.case_revoked] = ChangeType.case_revoked
    body: CaseRevokedBody = CaseRevokedBody()


class InterviewRejected(_Change):
    """Legacy: an interview sent back for correction (now in the case's view)."""

    type: Literal[ChangeType.interview_rejected] = ChangeType.interview_rejected
    body: Correction


class ConflictNotice(_Change):
    type: Literal[ChangeType.conflict_notice] = ChangeType.conflict_notice
    body: ConflictNoticeBody


class QuestionnaireAvailable(_Change):
    type: Literal[ChangeType.questionnaire_available] = ChangeType.questionnaire_available
    body: QuestionnaireAvailableBody


Change = Annotated[CaseUpsert | CaseRevoked | InterviewRejected | ConflictNotice
                   | QuestionnaireAvailable, Field(discriminator="type")]
CHANGE = TypeAdapter[Change](Change)


class PullResponse(BaseModel):
    changes: list[Change]
    next_cursor: str
    has_more: bool
    server_time: UtcDatetime


class UnreadableChange(_Change):
    """A change of a known type whose body this app cannot read. The device logs it and reads
    on: one malformed change must not stop every later one from arriving."""

    type: ChangeType
    #: how many problems the body has (what they are may name personal data: not kept)
    problems: int


_KNOWN_TYPES = frozenset(t.value for t in ChangeType)


def _change_or_unreadable(value: Any) -> Change | UnreadableChange:
    try:
        return CHANGE.validate_python(value)
    except ValidationError as error:
        if not isinstance(value, dict) or not isinstance(value.get("seq"), int) \
                or value.get("type") not in _KNOWN_TYPES:
            # not a change at all, or a type this app does not know: the page is unreadable
            raise ValueError(f"not a change this app can read ({error.error_count()} "
                             "problem(s))") from None
        case_id = value.get("case_id")
        return UnreadableChange(seq=value["seq"], type=ChangeType(value["type"]),
                                case_id=case_id if isinstance(case_id, int) else None,
                                problems=error.error_count())


#: a change as a client reads it: typed, or marked unreadable
ReceivedChange = Annotated[Change | UnreadableChange, PlainValidator(_change_or_unreadable)]


class PulledPage(BaseModel):
    """``PullResponse`` as a client reads it: a change whose body it cannot read comes as an
    ``UnreadableChange`` instead of making the whole page unreadable."""

    changes: list[ReceivedChange]
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
