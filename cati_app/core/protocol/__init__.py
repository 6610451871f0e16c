"""Wire models of the sync protocol (DESIGN.md §4), shared by the server and the client.

These are the only shapes that cross between ``client`` and ``server``. Request models refuse
unknown fields so a typo is a clear 422, not silently ignored data; payload models *ignore*
unknown fields instead, so a client that sends server-owned fields (state, holder, status...)
changes nothing (mass-assignment guard) and an older server accepts a newer client's extras.
Reply models ignore unknown keys too: an older client reads a newer server's replies.

One module per topic: ``wire`` (what all share), ``session`` (sign-in, hello), ``queue``
(claims, the holder's case view), ``push`` and ``feed`` (pull, snapshot). Import from here.
"""

from cati_app.core.protocol.feed import (
    CURSOR_AHEAD,
    Change,
    ChangeType,
    PullResponse,
    SnapshotRequest,
    SnapshotResponse,
)
from cati_app.core.protocol.push import (
    MAX_ANSWER_CHARS,
    MAX_ANSWER_DEPTH,
    MAX_ANSWER_ENTRIES,
    MAX_INTERVIEW_CHARS,
    PAYLOAD_MODELS,
    AppointmentPayload,
    CaseReleasePayload,
    ContactAttemptPayload,
    InterviewVersionPayload,
    ItemKind,
    ItemResult,
    ItemStatus,
    PushItem,
    PushRequest,
    PushResponse,
    answers_problem,
)
from cati_app.core.protocol.queue import (
    AckRequest,
    AckResponse,
    Appointment,
    AppointmentKind,
    AttemptSummary,
    ClaimRequest,
    ClaimResponse,
    HoldsToReview,
    HoldToReview,
    QueueCase,
)
from cati_app.core.protocol.session import (
    CallingRulesDoc,
    CallingRulesUpdate,
    Hello,
    Role,
    TokenRequest,
    TokenResponse,
)
from cati_app.core.protocol.wire import (
    API_VERSION,
    MAX_BATCH_BYTES,
    MAX_ITEMS_PER_BATCH,
    MAX_PAYLOAD_DEPTH,
    ErrorBody,
    Lenient,
    Strict,
    UtcDatetime,
)

__all__ = [
    "API_VERSION",
    "AckRequest",
    "AckResponse",
    "Appointment",
    "AppointmentKind",
    "AppointmentPayload",
    "AttemptSummary",
    "CURSOR_AHEAD",
    "CallingRulesDoc",
    "CallingRulesUpdate",
    "CaseReleasePayload",
    "Change",
    "ChangeType",
    "ClaimRequest",
    "ClaimResponse",
    "ContactAttemptPayload",
    "ErrorBody",
    "Hello",
    "HoldToReview",
    "HoldsToReview",
    "InterviewVersionPayload",
    "ItemKind",
    "ItemResult",
    "ItemStatus",
    "Lenient",
    "MAX_ANSWER_CHARS",
    "MAX_ANSWER_DEPTH",
    "MAX_ANSWER_ENTRIES",
    "MAX_BATCH_BYTES",
    "MAX_INTERVIEW_CHARS",
    "MAX_ITEMS_PER_BATCH",
    "MAX_PAYLOAD_DEPTH",
    "PAYLOAD_MODELS",
    "PullResponse",
    "PushItem",
    "PushRequest",
    "PushResponse",
    "QueueCase",
    "Role",
    "SnapshotRequest",
    "SnapshotResponse",
    "Strict",
    "TokenRequest",
    "TokenResponse",
    "UtcDatetime",
    "answers_problem",
]
