"""Regenerate the screenshots in docs/screenshots from the real app, offscreen, on demo data.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]

- enumerator.png and enumerator-dark.png: the queue and case card, light and dark theme;
- enumerator-dz.png: the same in Dzongkha (the language setting "dz"): the strings with a
  Dzongkha draft in resources/translations show it, the rest fall back to English;
- interview.png: the script runner in the middle of an interview;
- supervisor.png, supervisor-cases.png, supervisor-sampling.png: the supervisor's dashboard
  (with the room bar and the trend charts), case browser and Sampling tab (the demo frame, its
  draw and the per-stratum report); analyst-rates.png: the analyst's response rates per
  enumerator. All against a real server: a temporary SQLite database seeded with the demo
  data, served on a loopback port, after two weeks of simulated calls and interviews pushed
  through the API; admin.png and audit.png: the admin workspace's accounts and the audit trail.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
FIELDWORK_DAYS = 14
RATED = ("acc_info", "acc_reach", "time_wait", "time_turnaround", "att_welcome",
         "att_courtesy", "int_fair", "int_payment", "fb_channels", "fb_willing")


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


@contextmanager
def demo_server() -> Iterator[tuple[str, FixedClock]]:
    """The real server on a temporary SQLite file seeded with the demo, on a loopback port,
    with a clock the fieldwork simulation moves day by day."""
    import uvicorn

    from cati_app.server.app import create_app
    from cati_app.server.context import AppContext
    from cati_app.server.db import make_engine, transaction
    from cati_app.server.migrate import upgrade
    from cati_app.server.services.ops.demo import seed_demo
    from cati_app.server.settings import Settings as ServerSettings

    # 10:00 in Thimphu, FIELDWORK_DAYS - 1 days ago: the last simulated day is today
    today = datetime.now(UTC).replace(hour=4, minute=0, second=0, microsecond=0)
    clock = FixedClock(today - timedelta(days=FIELDWORK_DAYS - 1))
    with tempfile.TemporaryDirectory() as tmp:
        settings = ServerSettings(database_url=f"sqlite:///{Path(tmp) / 'server.sqlite3'}")
        engine = make_engine(settings.database_url, settings.pool_size)
        upgrade(engine)
        ctx = AppContext.build(settings, clock, engine=engine)
        with transaction(ctx.sessions) as session:
            seed_demo(session, ctx.hasher, at=ctx.clock.now())
        server = uvicorn.Server(uvicorn.Config(create_app(settings, ctx=ctx), host="127.0.0.1",
                                               port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}", clock
        finally:
            server.should_exit = True
            thread.join(10)
            engine.dispose()


def simulate_fieldwork(url: str, clock: FixedClock, days: int) -> None:
    """Two enumerators' calls and interviews, day by day, through the real API, so the
    dashboard's figures and trends have something to show."""
    import requests

    from cati_app.server.services.ops.demo import DEMO_PASSWORD

    rng = random.Random(975)
    for day in range(days):
        if day:
            clock.advance(timedelta(days=1))
        for username in ("enum1", "enum2"):
            device = f"shots-{username}"
            token = requests.post(f"{url}/v1/auth/token", timeout=30, json={
                "username": username, "password": DEMO_PASSWORD, "device_id": device}).json()
            auth = {"Authorization": f"Bearer {token['access_token']}"}
            grant = requests.post(f"{url}/v1/queue/claim", headers=auth, timeout=30, json={
                "request_uuid": str(uuid.uuid4()), "device_id": device,
                "max_cases": 6}).json()
            items = [_call(case, clock.now(), rng) for case in grant["cases"]]
            requests.post(f"{url}/v1/sync/push", headers=auth, timeout=60, json={
                "device_id": device, "batch_uuid": str(uuid.uuid4()), "items": items})


def _call(case: dict[str, Any], at: datetime, rng: random.Random) -> dict[str, Any]:
    common = {"item_uuid": str(uuid.uuid4()), "case_id": case["case_id"],
              "assignment_version": case["assignment_version"]}
    if rng.random() < 0.45:
        answers = {"consent": "yes", "availed": "yes", "comment": "", "complaint": "no"}
        answers |= {name: str(rng.choice((2, 3, 4, 4, 5, 5))) for name in RATED}
        return {**common, "kind": "interview_version", "payload": {
            "interview_uuid": str(uuid.uuid4()), "version_uuid": str(uuid.uuid4()),
            "questionnaire_id": case["questionnaire_id"],
            "questionnaire_version": case["questionnaire_version"], "language": "en",
            "started_at": at.isoformat(), "ended_at": (at + timedelta(minutes=4)).isoformat(),
            "answers": answers, "phone_index": 0}}
    outcome = rng.choice(("no_answer", "no_answer", "busy"))
    return {**common, "kind": "contact_attempt", "payload": {
        "started_at": at.isoformat(), "ended_at": at.isoformat(), "phone_index": 0,
        "outcome": outcome}}


def supervisor_shots(app: QApplication, out_dir: Path) -> None:
    from cati_app.client.api import ApiClient
    from cati_app.client.supervisor_api import SupervisorApi
    from cati_app.desktop.analyst.window import AnalystWindow
    from cati_app.desktop.supervisor.window import SupervisorWindow
    from cati_app.server.services.ops.demo import DEMO_PASSWORD

    apply_theme(app, "light")
    with demo_server() as (url, clock), tempfile.TemporaryDirectory() as tmp:
        simulate_fieldwork(url, clock, FIELDWORK_DAYS)
        runner = BackgroundRunner()
        for username, kind in (("super", SupervisorWindow), ("analyst", AnalystWindow)):
            client = ApiClient(url, timeout=30)
            token = client.login(username, DEMO_PASSWORD, "screenshot")
            window = kind(SupervisorApi(client), runner,
                          Settings.in_file(str(Path(tmp) / f"{username}.ini")),
                          full_name=token.full_name,
                          today=lambda: to_thimphu(clock.now()).date())
            window.resize(1366, 860)
            window.show()
            window.start()
            wait_for(app, lambda w=window: w.dashboard.data is not None)
            if isinstance(window, SupervisorWindow):
                wait_for(app, lambda w=window: "Online" in w.room.online.text())
                save(window, out_dir / "supervisor.png")
                window.tabs.setCurrentWidget(window.cases)
                wait_for(app, lambda w=window: w.cases.model.rowCount() > 0)
                save(window, out_dir / "supervisor-cases.png")
                window.tabs.setCurrentWidget(window.sampling)
                wait_for(app, lambda w=window: w.sampling.strata.rowCount() > 0
                         and w.sampling.calls == 0)
                save(window, out_dir / "supervisor-sampling.png")
            else:
                window.tabs.setCurrentWidget(window.rates)
                window.rates.by.setCurrentIndex(window.rates.by.findData("enumerator"))
                window.rates.load()
                wait_for(app, lambda w=window: w.rates.model.rowCount() > 0)
                save(window, out_dir / "analyst-rates.png")
            window.close()
        admin_shot(app, url, clock, runner, out_dir)
        runner.close()


def admin_shot(app: QApplication, url: str, clock: FixedClock, runner: BackgroundRunner,
               out_dir: Path) -> None:
    from cati_app.client.admin_api import AdminApi, AuditApi
    from cati_app.client.api import ApiClient
    from cati_app.desktop.admin.window import AdminWindow
    from cati_app.server.services.ops.demo import DEMO_PASSWORD

    client = ApiClient(url, timeout=30)
    token = client.login("admin", DEMO_PASSWORD, "screenshot")
    window = AdminWindow(AdminApi(client), AuditApi(client), runner, full_name=token.full_name,
                         today=lambda: to_thimphu(clock.now()).date(),
                         open_supervision=lambda: window)
    window.resize(1366, 760)
    window.show()
    window.start()
    wait_for(app, lambda: window.users.model.rowCount() > 0)
    save(window, out_dir / "admin.png")
    window.tabs.setCurrentWidget(window.audit)
    wait_for(app, lambda: window.audit.model.rowCount() > 0)
    save(window, out_dir / "audit.png")
    window.close()


def wait_for(app: QApplication, ready: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not ready() and time.monotonic() < deadline:
        settle(app, 0.1)
    settle(app)


def main() -> int:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    set_high_dpi_policy()
    app = QApplication(sys.argv[:1])
    enumerator_shots(app, out_dir)
    dzongkha_shot(app, out_dir)
    supervisor_shots(app, out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
