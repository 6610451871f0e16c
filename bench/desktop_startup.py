"""Desktop benchmarks (DESIGN.md §6): launch-to-usable time, and loading a 10,000-case queue
into the table model. Prints each figure next to its target. Run:

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/desktop_startup.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

STARTUP_TARGET_S = 2.0
QUEUE_TARGET_S = 0.300
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


def launch_to_usable(tmp: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", CHILD, str(tmp)], check=True, capture_output=True)
    return time.perf_counter() - start


def queue_load_10k() -> tuple[float, float]:
    from PySide6.QtWidgets import QApplication

    from cati_app.client.store.views import LocalCase
    from cati_app.desktop.enumerator.queue_panel import QueuePanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    cases = [LocalCase(
        case_id=i, assignment_version=1, service_code="DCRC-CID",
        service_name="Issuance of New CID Card", questionnaire_id="set",
        questionnaire_version=1, priority=i % 100, respondent_name=f"Respondent {i}",
        phones=("+97517123456",), office="Thimphu", dzongkhag="Thimphu", date_availed=None,
        language="en", attempts=(), next_call_at=None, appointment=None, state="active",
        correction=None, last_outcome=None, next_phone_index=0) for i in range(10_000)]
    panel = QueuePanel(lambda: NOW)
    panel.resize(900, 700)
    panel.show()
    app.processEvents()
    start = time.perf_counter()
    panel.set_cases(cases)  # model insert + proxy sort + counts + first row selected
    app.processEvents()
    first = time.perf_counter() - start
    start = time.perf_counter()
    panel.set_cases(list(reversed(cases)))  # a refresh where every case changed rank
    app.processEvents()
    return first, time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        launch_to_usable(Path(tmp))  # first run creates and migrates the store
        runs = sorted(launch_to_usable(Path(tmp)) for _ in range(3))
    startup = runs[1]
    first, refresh = queue_load_10k()
    print(f"launch to usable (median of 3): {startup:.2f} s  target <= {STARTUP_TARGET_S} s  "
          f"ratio {startup / STARTUP_TARGET_S:.2f}")
    print(f"10,000-case queue load:         {first * 1000:.0f} ms  target <= "
          f"{QUEUE_TARGET_S * 1000:.0f} ms  ratio {first / QUEUE_TARGET_S:.2f}")
    print(f"10,000-case queue re-rank:      {refresh * 1000:.0f} ms")


if __name__ == "__main__":
    main()
