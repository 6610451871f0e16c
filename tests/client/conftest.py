"""Client fixtures: a fresh local store in tmp_path with a fixed clock, a claim that puts cases
on it, the scripted protocol server ``fake`` and an ``api`` client of it (the case factory
and constants are in tests/client/helpers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cati_app.client.api import ApiClient
from cati_app.client.store import LocalStore
from cati_app.core.clock import FixedClock
from cati_app.core.protocol import QueueCase
from cati_app.core.questionnaire import Questionnaire, default_questionnaire
from tests.client.fake_server import FakeServer, running_fake
from tests.client.helpers import TUESDAY_10AM, USERNAME, queue_case


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


@pytest.fixture
def claim(store: LocalStore) -> Callable[..., list[int]]:
    """Put cases on the device as a claim would: claim(1, 2, 3) or claim(queue_case(...))."""
    counter = iter(range(1, 1_000_000))

    def _claim(*cases: int | QueueCase) -> list[int]:
        built = [c if isinstance(c, QueueCase) else queue_case(c) for c in cases]
        store.store_claim(f"grant-{next(counter)}", built)
        return [c.case_id for c in built]

    return _claim


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    """The scripted protocol server of tests/client/fake_server.py, on a loopback port."""
    with running_fake() as server:
        yield server


@pytest.fixture
def api(fake: FakeServer) -> Iterator[ApiClient]:
    """The real ApiClient pointed at ``fake``."""
    client = ApiClient(fake.url, token="t", timeout=3.0)
    yield client
    client.close()
