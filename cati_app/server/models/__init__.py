"""SQLAlchemy models; importing this package registers every table on ``Base.metadata``."""

from cati_app.server.models.base import Base
from cati_app.server.models.contact import DoNotCall
from cati_app.server.models.fieldwork import (
    Assignment,
    Case,
    CaseState,
    Grant,
    QuestionnaireVersion,
    SampleBatch,
    Service,
)
from cati_app.server.models.guards import CaseExclusion, CaseFlag
from cati_app.server.models.people import AuditEntry, AuthToken, Device, LoginFailure, User
from cati_app.server.models.sampling import (
    DrawRelease,
    DrawUnit,
    FrameRow,
    SampleDraw,
    SampleFrame,
)
from cati_app.server.models.sync import (
    Conflict,
    ConflictStatus,
    ContactAttempt,
    FeedChange,
    InterviewVersion,
    PushedItem,
    QuarantinedItem,
    ReviewStatus,
    StoredCallingRules,
)

__all__ = [
    "Assignment", "AuditEntry", "DrawRelease", "DrawUnit", "FrameRow", "SampleDraw",
    "SampleFrame", "AuthToken", "Base", "Case", "CaseExclusion", "CaseFlag",
    "CaseState", "Conflict", "ConflictStatus", "ContactAttempt", "Device", "DoNotCall",
    "FeedChange", "Grant", "InterviewVersion",
    "LoginFailure", "PushedItem", "QuarantinedItem", "QuestionnaireVersion", "ReviewStatus",
    "SampleBatch", "Service", "StoredCallingRules", "User",
]
