"""Desktop benchmarks (DESIGN.md §6): launch-to-usable time, and a 10,000-case queue from the
local store to the screen, end to end (the store's read and the table model and view
together, as the window does it), beside a bare sqlite3 read of the same rows. Prints each
figure next to its target, and the load average. Run:

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/desktop_startup.py
"""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from cati_app.client.store import LocalStore
from cati_app.client.store.models import AttemptRow, CaseRow
from cati_app.core.clock import FixedClock

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

STARTUP_TARGET_S = 1.5
QUEUE_TARGET_S = 0.300
QUEUE_CASES = 10_000
NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)

# The child process: from interpreter start to a shown workspace with a 30-case queue on a
# real local store (what an enumerator waits for after signing in), printing "usable".
CHILD = r"""
import sys, tempfile
from pathlib import Path
from PySide6.QtWidgets import QApplication
from cati_app.desktop.fonts import register_dzongkha_font
from datetime import UTC, datetime
MONDAY_10_THIMPHU = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
class _NoDialer:
    def dial(self, e164):  # a benchmark never calls anyone
        pass
from cati_app.client.store import LocalStore
from cati_app.core.clock import FixedClock
from cati_app.desktop.enumerator.controller import EnumeratorController
from cati_app.desktop.demo import demo_queue
from cati_app.desktop.enumerator.window import EnumeratorWindow
from cati_app.desktop.settings import Settings
app = QApplication(sys.argv[:1])
dz = register_dzongkha_font()
clock = FixedClock(MONDAY_10_THIMPHU)
tmp = Path(sys.argv[1])
store = LocalStore.open(tmp / "bench.sqlite3", username="bench", clock=clock)
if not store.active_case_count():
    store.store_claim("g", demo_queue(clock.now(), "bench", count=30))
window = EnumeratorWindow(EnumeratorController(store, clock, username="bench"), _NoDialer(),
                          Settings.in_file(str(tmp / "s.ini")), dzongkha_family=dz)
window.show()
app.processEvents()
print("usable", flush=True)
store.close()
"""


def launch_to_usable(tmp: Path) -> tuple[float, float]:
    """(wall, cpu) seconds from starting the interpreter to a shown window; the CPU time is
    the child's own (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHILD, str(tmp)], check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def filled_store(folder: Path, cases: int = QUEUE_CASES) -> LocalStore:
    """A local store holding ``cases`` active cases, a third never called, the rest with one
    or two attempts (written straight into its tables: claiming them one grant at a time
    would take a minute and is not what is measured)."""
    store = LocalStore.open(folder / "queue.sqlite3", username="bench", clock=FixedClock(NOW))
    engine = create_engine(f"sqlite:///{folder / 'queue.sqlite3'}")
    case_rows, attempt_rows = [], []
    for i in range(1, cases + 1):
        called = i % 3
        case_rows.append(dict(
            case_id=i, assignment_version=1, service_code="DCRC-CID",
            service_name="Issuance of New CID Card", questionnaire_id="set",
            questionnaire_version=1, priority=i % 100, respondent_name=f"Respondent {i}",
            phones=["+97517123456", "+97577123456"], office="Thimphu", dzongkhag="Thimphu",
            date_availed=None, language="en", state="active",
            next_call_at=NOW - timedelta(hours=1) if called else None, next_phone_index=0,
            plan_reason="", appointment_at=NOW + timedelta(hours=i % 5) if i % 50 == 0 else None,
            appointment_kind="soft" if i % 50 == 0 else None,
            appointment_by="bench" if i % 50 == 0 else None, correction=None,
            attempt_count=called, last_outcome="no_answer" if called else None,
            last_called_at=NOW - timedelta(days=2) if called else None,
            revoked_reason="", purged_at=None, updated_at=NOW))
        attempt_rows += [dict(case_id=i, item_uuid=None,
                              started_at=NOW - timedelta(days=2, hours=j), ended_at=None,
                              outcome="no_answer", aapor_code="3.13", phone_index=0, note="",
                              enumerator="bench") for j in range(called)]
    with Session(engine) as session, session.begin():
        session.execute(insert(CaseRow), case_rows)
        session.execute(insert(AttemptRow), attempt_rows)
    engine.dispose()
    return store


class Stopwatch:
    """Wall time and this process's CPU time: on a shared, loaded machine the wall time
    includes waiting for a core, the CPU time does not."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        lap = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return lap


def queue_to_screen(store: LocalStore) -> dict[str, tuple[float, float]]:
    """(wall, cpu) seconds of the store read, the model and view, and a re-rank:
    ``store.queue`` and a fresh panel's ``set_cases`` as the window runs them at start, then
    a refresh where every case moved."""
    from PySide6.QtWidgets import QApplication

    from cati_app.desktop.enumerator.queue_panel import QueuePanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    panel = QueuePanel(lambda: NOW)
    panel.resize(900, 700)
    panel.show()
    app.processEvents()
    watch = Stopwatch()
    items = store.queue(NOW)
    read = watch.lap()
    panel.set_cases(items)  # model insert + counts + first row selected
    app.processEvents()
    shown = watch.lap()
    panel.set_cases(list(reversed(items)))  # a refresh where every case changed rank
    app.processEvents()
    return {"read": read, "shown": shown, "re-rank": watch.lap()}


def bare_read(store_path: Path) -> tuple[float, float]:
    """The floor: the columns the queue shows, of the active cases, with sqlite3 alone."""
    watch = Stopwatch()
    with sqlite3.connect(store_path) as db:
        db.execute("SELECT case_id, respondent_name, service_code, service_name, office, "
                   "dzongkhag, priority, date_availed, next_call_at, appointment_at, "
                   "appointment_kind, appointment_by, attempt_count, last_called_at, "
                   "last_outcome, correction IS NOT NULL FROM cases "
                   "WHERE state = 'active'").fetchall()
    return watch.lap()


def main() -> None:
    print(f"load average at start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        launch_to_usable(Path(tmp))  # first run creates and migrates the store
        runs = [launch_to_usable(Path(tmp)) for _ in range(3)]
    for clock, i in (("wall", 0), ("cpu", 1)):
        startup = sorted(run[i] for run in runs)[1]
        print(f"launch to usable ({clock}, median of 3): {startup:.2f} s  target <= "
              f"{STARTUP_TARGET_S} s  ratio {startup / STARTUP_TARGET_S:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        store = filled_store(Path(tmp))
        try:
            bare_read(Path(tmp) / "queue.sqlite3")  # warm the file cache for both
            timings = [queue_to_screen(store) for _ in range(3)]
            bare = sorted(bare_read(Path(tmp) / "queue.sqlite3") for _ in range(3))[1]
        finally:
            store.close()
    run = sorted(timings, key=lambda t: t["read"][0] + t["shown"][0])[1]  # median run
    for clock, i in (("wall", 0), ("cpu", 1)):
        read, shown = run["read"][i], run["shown"][i]
        total = read + shown
        print(f"{QUEUE_CASES:,}-case queue, store to screen ({clock}, median of 3): "
              f"{total * 1000:.0f} ms  target <= {QUEUE_TARGET_S * 1000:.0f} ms  "
              f"ratio {total / QUEUE_TARGET_S:.2f}")
        print(f"  store read {read * 1000:.0f} ms ({read / bare[i]:.1f}x a bare sqlite3 read "
              f"of the same rows, {bare[i] * 1000:.0f} ms); model and view "
              f"{shown * 1000:.0f} ms; re-rank {run['re-rank'][i] * 1000:.0f} ms")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
