"""The web pages' browser tests: the distribution's Chromium driven by Playwright (never its own
download, which cannot work offline), and the real server in a subprocess seeded with the
scorecard scene (tests/support/scorecard_scene.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from cati_app.server.context import AppContext
from tests.support.scorecard_scene import seed_scene
from tests.support.server_process import LiveServer, running_server

CHROMIUM = "/usr/bin/chromium"
#: without the background-networking flags Chromium's connections are refused by a closed
#: network, many at a time
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
WAIT_MS = 20_000


@contextmanager
def chromium() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "install the distribution's chromium (./tasks setup)"
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield found
        found.close()


@contextmanager
def scene_server(tmp_path_factory: pytest.TempPathFactory, name: str,
                 app_factory: str | None = None) -> Iterator[LiveServer]:
    """The real server on SQLite with the scorecard scene: agencies, offices, two quarters of
    scored interviews, tickets."""
    options = {"app_factory": app_factory} if app_factory else {}
    with running_server(tmp_path_factory.mktemp(name), "sqlite", cases=0, **options) as live:
        with live.database() as engine:
            ctx = AppContext.build(live.settings(), engine=engine)
            seed_scene(ctx, ctx.clock.now())
        yield live
