"""Desktop fixtures: offscreen Qt, a fresh local store (real SQLite file) and a fresh settings
file per test, a fixed clock on a Monday 10:00 in Thimphu, a recording dialer, and ``server``,
the live server behind the supervisor and analyst screens (tests/desktop/supervision_server.py;
the other helpers are in tests/desktop/helpers.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyqtgraph.util.garbage_collector import GarbageCollector

from cati_app.client.store import LocalStore
from cati_app.core.clock import FixedClock
from cati_app.desktop.enumerator.controller import EnumeratorController
from cati_app.desktop.settings import Settings
from tests.desktop.helpers import MONDAY_10_THIMPHU, USERNAME, RecordingDialer, demo_cases
from tests.desktop.supervision_server import Server, supervision_server


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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with supervision_server(tmp_path) as running:
        yield running


@pytest.fixture(scope="session", autouse=True)
def gc_on_the_ui_thread(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """As the app does (desktop/app.py main): Python's cycle collector runs on the UI thread
    only. Left to itself it ran on a background worker or mid-set-up and freed a previous
    test's Qt objects there (a segfault, once in several full runs)."""
    collector = GarbageCollector(interval=0.5)
    yield
    collector.timer.stop()
    gc.enable()
