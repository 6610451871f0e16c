"""SQLAlchemy models; importing this package registers every table on ``Base.metadata``."""

from cati_app.server.models.base import Base
from cati_app.server.models.complaints import Ticket
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
from cati_app.server.models.sms import (
    SmsContact,
    SmsInbound,
    SmsOutbound,
    SmsReceipt,
    SmsState,
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
    "Assignment", "AuditEntry", "AuthToken", "Base", "Case", "CaseExclusion", "CaseFlag",
    "CaseState", "Conflict", "ConflictStatus", "ContactAttempt", "Device", "DoNotCall",
    "DrawRelease", "DrawUnit", "FeedChange", "FrameRow", "Grant", "InterviewVersion",
    "LoginFailure", "PushedItem", "QuarantinedItem", "QuestionnaireVersion", "ReviewStatus",
    "SampleBatch", "SampleDraw", "SampleFrame", "Service", "SmsContact", "SmsInbound",
    "SmsOutbound", "SmsReceipt", "SmsState", "StoredCallingRules", "Ticket", "User",
]
