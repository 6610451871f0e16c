"""The enumerator's local database (DESIGN.md §4): cases, attempts, interview drafts and the
transactional outbox, in one SQLite file per (OS user, enumerator, server)."""

from cati_app.client.store.database import StoreError
from cati_app.client.store.local_store import LocalStore
from cati_app.client.store.records import NotFound
from cati_app.client.store.views import (
    InterviewDraft,
    LocalAppointment,
    LocalAttempt,
    LocalCase,
    OutboxItem,
    QueueItem,
    SyncLogEntry,
)

__all__ = [
    "InterviewDraft",
    "LocalAppointment",
    "LocalAttempt",
    "LocalCase",
    "LocalStore",
    "NotFound",
    "OutboxItem",
    "QueueItem",
    "StoreError",
    "SyncLogEntry",
]
