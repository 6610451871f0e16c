"""Regenerate the screenshots in docs/screenshots from the real app, offscreen, on demo data.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

- enumerator.png and enumerator-dark.png: the queue and case card, light and dark theme;
- enumerator-dz.png: the same in Dzongkha (the language setting "dz"): the strings with a
  Dzongkha draft in resources/translations show it, the rest fall back to English;
- interview.png: the script runner in the middle of an interview;
- supervisor.png: the supervisor's dashboard against a real server (a temporary SQLite
  database seeded with the demo data, served on a loopback port).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from cati_app.core.clock import FixedClock, to_thimphu  # noqa: E402
from cati_app.desktop.demo import demo_queue  # noqa: E402
from cati_app.desktop.enumerator.controller import EnumeratorController  # noqa: E402
from cati_app.desktop.enumerator.window import EnumeratorWindow  # noqa: E402
from cati_app.desktop.fonts import register_dzongkha_font  # noqa: E402
from cati_app.desktop.i18n import install_language  # noqa: E402
from cati_app.desktop.settings import UI_LANGUAGE, Settings  # noqa: E402
from cati_app.desktop.theme import apply_theme, set_high_dpi_policy  # noqa: E402
from cati_app.desktop.worker import BackgroundRunner  # noqa: E402

MONDAY_10_THIMPHU = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
ANSWERS = {"consent": "yes", "availed": "yes", "acc_info": "4", "acc_reach": "5"}


class NoDialer:
    def dial(self, e164: str) -> None:  # a screenshot never calls anyone
        pass


def settle(app: QApplication, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def save(widget: QWidget, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(out))
    print(out)
    return out


def enumerator_shots(app: QApplication, out_dir: Path) -> None:
    from cati_app.client.store import LocalStore

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
            for scheme, name in (("light", "enumerator.png"), ("dark", "enumerator-dark.png")):
                apply_theme(app, scheme)
                window = EnumeratorWindow(controller, NoDialer(), settings, dzongkha_family=dz)
                window.resize(1366, 740)
                window.show()
                window.reminders.check()
                window.queue.select_case(2)
                window.sync_status.set_online(True)
                settle(app)
                save(window, out_dir / name)
                if scheme == "dark":  # last: the interview leaves a draft behind
                    apply_theme(app, "light")
                    interview_shot(app, window, out_dir)
                window.close()
        finally:
            store.close()


def dzongkha_shot(app: QApplication, out_dir: Path) -> None:
    """As at a start with the language set to Dzongkha: the translator and font installed
    before the window is built; both taken away after, so later shots stay English."""
    from cati_app.client.store import LocalStore

    dz = register_dzongkha_font()
    font = app.font()
    clock = FixedClock(MONDAY_10_THIMPHU)
    apply_theme(app, "light")
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore.open(Path(tmp) / "demo.sqlite3", username="tlhamo", clock=clock)
        settings = Settings.in_file(str(Path(tmp) / "settings.ini"))
        settings.set(UI_LANGUAGE, "dz")
        installed = install_language(app, settings.get(UI_LANGUAGE), dz)
        try:
            store.store_claim("demo-grant", demo_queue(clock.now(), "tlhamo"))
            store.record_sync(True, "demo data loaded", clock.now())
            controller = EnumeratorController(store, clock, username="tlhamo",
                                              full_name="Tashi Lhamo")
            window = EnumeratorWindow(controller, NoDialer(), settings, dzongkha_family=dz)
            window.resize(1366, 740)
            window.show()
            window.reminders.check()
            window.queue.select_case(2)
            window.sync_status.set_online(True)
            settle(app)
            save(window, out_dir / "enumerator-dz.png")
            window.close()
        finally:
            installed.remove()
            app.setFont(font)
            store.close()


def interview_shot(app: QApplication, window: EnumeratorWindow, out_dir: Path) -> None:
    window.queue.select_case(2)
    window.dial()
    runner = window.start_interview()
    assert runner is not None
    session = runner.session
    for name, value in ANSWERS.items():
        session.controller.save_answer(session.interview_uuid, name, value, current_item=name)
        session.answers[name] = value
    session.current = session.q.item("time_wait")
    runner.show_current()
    settle(app)
    save(window, out_dir / "interview.png")
    window.back_to_queue()


def supervisor_shot(app: QApplication, out_dir: Path) -> None:
    import uvicorn

    from cati_app.client.api import ApiClient
    from cati_app.client.supervisor_api import SupervisorApi
    from cati_app.core.clock import SystemClock
    from cati_app.desktop.supervisor.window import SupervisorWindow
    from cati_app.server.app import create_app
    from cati_app.server.context import AppContext
    from cati_app.server.db import make_engine, transaction
    from cati_app.server.migrate import upgrade
    from cati_app.server.services.ops.demo import DEMO_PASSWORD, seed_demo
    from cati_app.server.settings import Settings as ServerSettings

    apply_theme(app, "light")
    with tempfile.TemporaryDirectory() as tmp:
        settings = ServerSettings(database_url=f"sqlite:///{Path(tmp) / 'server.sqlite3'}")
        engine = make_engine(settings.database_url, settings.pool_size)
        upgrade(engine)
        ctx = AppContext.build(settings, SystemClock(), engine=engine)
        with transaction(ctx.sessions) as session:
            seed_demo(session, ctx.hasher, at=ctx.clock.now())
        server = uvicorn.Server(uvicorn.Config(create_app(settings, ctx=ctx), host="127.0.0.1",
                                               port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        client = ApiClient(f"http://127.0.0.1:{port}", timeout=30)
        token = client.login("super", DEMO_PASSWORD, "screenshot")
        runner = BackgroundRunner()
        window = SupervisorWindow(SupervisorApi(client), runner,
                                  Settings.in_file(str(Path(tmp) / "s.ini")),
                                  full_name=token.full_name,
                                  today=lambda: to_thimphu(ctx.clock.now()).date())
        window.resize(1366, 800)
        window.show()
        window.start()
        deadline = time.monotonic() + 30
        while window.dashboard.data is None and time.monotonic() < deadline:
            settle(app, 0.1)
        settle(app)
        save(window, out_dir / "supervisor.png")
        window.close()
        runner.close()
        server.should_exit = True
        thread.join(10)
        engine.dispose()


def main() -> int:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    set_high_dpi_policy()
    app = QApplication(sys.argv[:1])
    enumerator_shots(app, out_dir)
    dzongkha_shot(app, out_dir)
    supervisor_shot(app, out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
