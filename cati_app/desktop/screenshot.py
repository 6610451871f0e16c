"""Render the enumerator workspace on demo data to a PNG (docs/screenshots/enumerator.png).

``python -m cati_app.desktop.screenshot [OUT]``; runs offscreen, uses a temporary store.
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtWidgets import QApplication

from cati_app.core.clock import FixedClock
from cati_app.desktop.controller import EnumeratorController
from cati_app.desktop.demo import demo_queue
from cati_app.desktop.fonts import register_dzongkha_font
from cati_app.desktop.main_window import EnumeratorWindow
from cati_app.desktop.settings import Settings

MONDAY_10_THIMPHU = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


class _NoDialer:
    def dial(self, e164: str) -> None:  # a screenshot never calls anyone
        pass


def render(out: Path) -> Path:
    from cati_app.client.store import LocalStore

    app = QApplication.instance() or QApplication(sys.argv[:1])
    dz = register_dzongkha_font()
    clock = FixedClock(MONDAY_10_THIMPHU)
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore.open(Path(tmp) / "demo.sqlite3", username="tlhamo", clock=clock)
        try:
            store.store_claim("demo-grant", demo_queue(clock.now(), "tlhamo"))
            store.record_sync(True, "demo data loaded", clock.now())
            controller = EnumeratorController(store, clock, username="tlhamo",
                                              full_name="Tashi Lhamo")
            settings = Settings.in_file(str(Path(tmp) / "settings.ini"))
            window = EnumeratorWindow(controller, _NoDialer(), settings, dzongkha_family=dz)
            window.resize(1366, 740)
            window.show()
            window.reminders.check()
            window.queue.select_case(2)
            window.sync_status.set_online(True)
            app.processEvents()
            out.parent.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(out))
            window.close()
        finally:
            store.close()
    return out


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots/enumerator.png")
    print(render(target))
