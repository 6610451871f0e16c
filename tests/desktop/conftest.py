"""Desktop fixtures: offscreen Qt, a fresh local store (real SQLite file) and a fresh settings
file per test, a fixed clock on a Monday 10:00 in Thimphu, and a recording dialer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from cati_app.client.store import LocalStore
from cati_app.core.clock import FixedClock
from cati_app.core.protocol import Appointment, AttemptSummary, QueueCase
from cati_app.core.questionnaire import default_questionnaire
from cati_app.desktop.enumerator.controller import EnumeratorController
from cati_app.desktop.settings import Settings

MONDAY_10_THIMPHU = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
USERNAME = "enum1"


class RecordingDialer:
    """Stands in for the phone: a test machine has no phone line."""

    def __init__(self) -> None:
        self.dialled: list[str] = []

    def dial(self, e164: str) -> None:
        self.dialled.append(e164)


def queue_case(case_id: int, name: str, *, priority: int = 50, phones: tuple[str, ...] = (
        "+97517123456", "+97577654321"), attempts: list[AttemptSummary] | None = None,
        next_call_at: datetime | None = None, appointment: Appointment | None = None,
        service: str = "Issuance of New CID Card", availed: date | None = date(2026, 5, 25),
        ) -> QueueCase:
    q = default_questionnaire()
    return QueueCase(
        case_id=case_id, assignment_version=1, service_code="DCRC-CID", service_name=service,
        questionnaire_id=q.id, questionnaire_version=q.version, priority=priority,
        respondent_name=name, phones=list(phones), office="Thimphu Dzongkhag Census Office",
        dzongkhag="Thimphu", date_availed=availed, language="en", attempts=attempts or [],
        next_call_at=next_call_at, appointment=appointment)


def demo_cases(now: datetime) -> list[QueueCase]:
    earlier = now - timedelta(hours=4)
    return [
        queue_case(101, "Karma Wangchuk", priority=60),
        queue_case(102, "Pema Choden", service="Move-in/Move-out (census transfer)",
                   attempts=[AttemptSummary(started_at=earlier, outcome="no_answer",
                                            aapor_code="3.13", phone_index=0,
                                            enumerator=USERNAME)],
                   next_call_at=now - timedelta(minutes=30)),
        queue_case(103, "Sonam Dorji", availed=date(2026, 5, 28)),
    ]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY_10_THIMPHU)


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> Iterator[LocalStore]:
    opened = LocalStore.open(tmp_path / "local.sqlite3", username=USERNAME, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def seeded_store(store: LocalStore, clock: FixedClock) -> LocalStore:
    store.store_claim("grant-1", demo_cases(clock.now()))
    return store


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.in_file(str(tmp_path / "settings.ini"))


@pytest.fixture
def controller(seeded_store: LocalStore, clock: FixedClock) -> EnumeratorController:
    return EnumeratorController(seeded_store, clock, username=USERNAME, full_name="Tashi Lhamo")


@pytest.fixture
def dialer() -> RecordingDialer:
    return RecordingDialer()
