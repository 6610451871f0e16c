"""Client fixtures: a fresh local store in tmp_path with a fixed clock, and case factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from cati_app.client.store import LocalStore
from cati_app.core.clock import FixedClock
from cati_app.core.protocol import QueueCase
from cati_app.core.questionnaire import Questionnaire, default_questionnaire

#: a Tuesday, 10:00 in Thimphu: inside the calling window
TUESDAY_10AM = datetime(2026, 6, 2, 4, 0, tzinfo=UTC)
USERNAME = "karma"

#: every indicator answered: a complete interview of the default SET script
COMPLETE_ANSWERS: dict[str, Any] = {
    "consent": "yes", "availed": "yes", "acc_info": "4", "acc_reach": "5", "time_wait": "3",
    "time_turnaround": "2", "att_welcome": "5", "att_courtesy": "4", "int_fair": "dk",
    "int_payment": "5", "fb_channels": "ref", "fb_willing": "4", "complaint": "no",
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TUESDAY_10AM)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "local.sqlite3"


@pytest.fixture
def store(store_path: Path, clock: FixedClock) -> Iterator[LocalStore]:
    opened = LocalStore.open(store_path, username=USERNAME, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def questionnaire() -> Questionnaire:
    return default_questionnaire()


def queue_case(case_id: int, **overrides: Any) -> QueueCase:
    fields: dict[str, Any] = dict(
        case_id=case_id, assignment_version=1, service_code="CID", service_name="New CID card",
        questionnaire_id="set", questionnaire_version=1, priority=50,
        respondent_name=f"Respondent {case_id}", phones=["+97517123456", "+97577123456"],
        office="Thimphu DCRC", dzongkhag="Thimphu", date_availed=date(2026, 5, 20),
        language="en", state="held")
    fields.update(overrides)
    return QueueCase(**fields)


@pytest.fixture
def claim(store: LocalStore) -> Callable[..., list[int]]:
    """Put cases on the device as a claim would: claim(1, 2, 3) or claim(queue_case(...))."""
    counter = iter(range(1, 1_000_000))

    def _claim(*cases: int | QueueCase) -> list[int]:
        built = [c if isinstance(c, QueueCase) else queue_case(c) for c in cases]
        store.store_claim(f"grant-{next(counter)}", built)
        return [c.case_id for c in built]

    return _claim
