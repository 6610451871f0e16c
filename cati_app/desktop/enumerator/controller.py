"""The enumerator workspace's one door to the local store.

Widgets get plain objects (LocalCase, InterviewDraft, ...) from here and hand their actions
back here; none of them holds the store or runs a query. Every write is one store call, which
is one local transaction committed before it returns (G1): when the UI shows something as
saved, it is on disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication

from cati_app.core.clock import Clock, as_utc
from cati_app.core.questionnaire import Questionnaire, default_questionnaire
from cati_app.core.queue_order import QueueEntry, reminders_due
from cati_app.core.scheduling import AppointmentRecord, CallingRules

if TYPE_CHECKING:
    from cati_app.client.store import LocalStore
    from cati_app.client.store.views import InterviewDraft, LocalCase, QueueItem, SyncLogEntry


class QuestionnaireMissing(LookupError):
    """The case needs a questionnaire version this device has not downloaded yet."""


class EnumeratorController:
    def __init__(self, store: LocalStore, clock: Clock, *, username: str,
                 full_name: str = "", rules: CallingRules | None = None) -> None:
        self.store = store
        self.clock = clock
        self.username = username
        self.full_name = full_name or username
        self._rules = rules

    def now(self) -> datetime:
        """The server's time as this computer best knows it: its own clock corrected by the
        offset measured at the last sync. Every time the enumerator's work records (calls,
        interviews, appointments "in two hours") comes from here, so a computer set to the
        wrong day still reports the right times."""
        return self.clock.now() + timedelta(seconds=self.store.server_clock_offset())

    @property
    def rules(self) -> CallingRules:
        """The calling rules the server sent at the last sync (the built-in defaults only
        until the first sync), unless a test gave fixed ones."""
        return self._rules if self._rules is not None else self.store.calling_rules()

    # --- queue and cases ---------------------------------------------------------------

    def queue(self) -> list[QueueItem]:
        return self.store.queue(self.now())

    def case(self, case_id: int) -> LocalCase:
        return self.store.get_case(case_id)

    def reminders(self, cases: Sequence[QueueItem]) -> list[QueueItem]:
        """Cases whose appointment falls due within the next few minutes, soonest first."""
        by_id = {case.case_id: case for case in cases}
        entries = [_queue_entry(case) for case in cases if case.appointment is not None]
        return [by_id[e.case_id] for e in reminders_due(entries, self.now())]

    def record_outcome(self, case_id: int, *, outcome: str, phone_index: int,
                       started_at: datetime, note: str = "",
                       appointment_at: datetime | None = None,
                       appointment_kind: str | None = None, language: str | None = None
                       ) -> str:
        return self.store.record_attempt(
            case_id, outcome=outcome, phone_index=phone_index, started_at=started_at,
            ended_at=self.now(), note=note, appointment_at=appointment_at,
            appointment_kind=appointment_kind, language=language)

    def release_case(self, case_id: int, reason: str) -> str:
        """Give the case back to the supervisor (queued for upload); the outbox item uuid."""
        return self.store.release_case(case_id, reason)

    # --- interviews ----------------------------------------------------------------------

    def questionnaire_for(self, case: LocalCase) -> Questionnaire:
        found = self.store.questionnaire(case.questionnaire_id, case.questionnaire_version)
        if found is not None:
            return found
        shipped = default_questionnaire()
        if (shipped.id, shipped.version) == (case.questionnaire_id, case.questionnaire_version):
            return shipped
        raise QuestionnaireMissing(QCoreApplication.translate(
            "EnumeratorController", "questionnaire {id} version {version} is not on this "
            "computer yet: press F5 to sync, then open the case again").format(
                id=case.questionnaire_id, version=case.questionnaire_version))

    def open_draft(self, case_id: int) -> InterviewDraft | None:
        return self.store.open_draft(case_id)

    def start_interview(self, case: LocalCase, questionnaire: Questionnaire, *, language: str,
                        phone_index: int) -> InterviewDraft:
        return self.store.start_interview(
            case.case_id, questionnaire=questionnaire, language=language,
            started_at=self.now(), phone_index=phone_index)

    def save_answer(self, interview_uuid: str, name: str, value: Any,
                    current_item: str | None) -> None:
        self.store.save_answer(interview_uuid, name, value, current_item=current_item)

    def set_current_item(self, interview_uuid: str, name: str | None) -> None:
        self.store.set_current_item(interview_uuid, name)

    def finish_interview(self, interview_uuid: str) -> str:
        """Close the draft as an interview version queued for upload; the outbox item uuid."""
        return self.store.finish_interview(interview_uuid, ended_at=self.now())

    def fill_context(self, case: LocalCase) -> dict[str, str]:
        return {
            "respondent": case.respondent_name,
            "service": case.service_name or case.service_code,
            "office": case.office,
            "date_availed": _spoken_date(case.date_availed),
            "enumerator": self.full_name,
        }

    # --- sync state --------------------------------------------------------------------

    def pending_count(self) -> int:
        return self.store.pending_count()

    def last_successful_sync(self) -> datetime | None:
        return self.store.last_successful_sync()

    def sync_log(self, limit: int = 200) -> list[SyncLogEntry]:
        return self.store.sync_log(limit)


def _queue_entry(case: QueueItem) -> QueueEntry:
    appointment = None
    if case.appointment is not None:
        # reminders do not filter by booker (the store only holds this enumerator's cases)
        appointment = AppointmentRecord(as_utc(case.appointment.at), case.appointment.kind)
    return QueueEntry(case.case_id, case.priority, case.next_call_at, case.last_called_at,
                      case.date_availed, appointment, case.returned_for_correction)


def _spoken_date(day: date | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""
