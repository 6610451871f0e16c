"""The complaint tickets' pages in a real headless Chromium against the real server (issue
16): an agency signs in, opens its tickets, resolves one with a note, and sees the office's
complaint figures on the scorecard; screenshots of the pages at desktop and phone sizes in
docs/screenshots (written there with CATI_WRITE_SCREENSHOTS=1, else to a temporary folder)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import WAIT_MS, chromium, scene_server
from tests.support.constants import PASSWORD, ROOT
from tests.support.scorecard_scene import TO_RESOLVE
from tests.support.server_process import LiveServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with scene_server(tmp_path_factory, "ticket-server") as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


def open_page(browser: Browser, width: int = 1280, height: int = 800) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height},
                                  device_scale_factor=1)
    context.set_default_timeout(WAIT_MS)
    return context.new_page()


def sign_in(page: Page, server: LiveServer, username: str) -> None:
    page.goto(server.base_url + "/scorecard/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Service scorecard")


def paro_complaints(page: Page) -> tuple[str, str]:
    row = page.locator('#service-CID tr[data-office="Paro DCRC"]')
    return (row.locator("td.complaints").inner_text(),
            row.locator("td.complaints + td").inner_text())


def test_an_agency_resolves_a_ticket_and_sees_it_on_the_scorecard(
        browser: Browser, server: LiveServer) -> None:
    page = open_page(browser)
    try:
        sign_in(page, server, "dcrc")
        assert paro_complaints(page) == ("2", "50% (1)")
        page.get_by_role("link", name="Complaints").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Complaints: DCRC")
        rows = page.locator("li.ticket-row")
        expect(rows).to_have_count(4)  # DCRC's four, never MOICE's
        expect(page.locator("body")).not_to_contain_text("licence file")
        expect(page.locator("body")).not_to_contain_text("17 65 43 21")

        page.get_by_label("State", exact=True).select_option("open")
        page.get_by_label("Office", exact=True).select_option("Paro DCRC")
        page.get_by_role("button", name="Show").click()
        expect(rows).to_have_count(1)
        rows.first.get_by_role("link").click()
        expect(page.locator("blockquote.complaint-text")).to_have_text(TO_RESOLVE)
        page.get_by_label("Resolved").check()
        page.get_by_label("Note: what was done (required)").fill(
            "The officer apologised; counter staff retrained on 3 June.")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_contain_text("Saved: the ticket is now Resolved")
        expect(page.locator("ol.history")).to_contain_text("counter staff retrained")
        expect(page.locator("h1 .state")).to_have_text("Resolved")

        page.get_by_role("link", name="Scorecard").click()
        assert paro_complaints(page) == ("2", "100% (2)")
        median = page.locator('#service-CID tr[data-office="Paro DCRC"] td.complaints + td + td')
        assert re.fullmatch(r"\d+\.\d", median.inner_text().strip())
    finally:
        page.context.close()


SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.mark.parametrize("size", sorted(SIZES))
def test_ticket_screenshots_at_desktop_and_phone_sizes(browser: Browser, server: LiveServer,
                                                      tmp_path: Path, size: str) -> None:
    out = ROOT / "docs" / "screenshots" if os.environ.get("CATI_WRITE_SCREENSHOTS") else tmp_path
    width, height = SIZES[size]
    page = open_page(browser, width, height)
    try:
        sign_in(page, server, "dcrc")
        page.goto(server.base_url + "/scorecard/tickets")
        expect(page.locator("li.ticket-row").first).to_be_visible()
        page.screenshot(path=str(out / f"tickets-{size}.png"), full_page=size == "desktop")
        page.locator('li.ticket-row[data-state="acknowledged"] a').first.click()
        expect(page.locator("blockquote.complaint-text")).to_be_visible()
        page.screenshot(path=str(out / f"ticket-{size}.png"), full_page=True)
        for path in ("/scorecard/tickets", "/scorecard/tickets?lang=dz"):
            page.goto(server.base_url + path)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{path} is wider ({scroll}px) than the {size} screen"
    finally:
        page.context.close()
    assert (out / f"tickets-{size}.png").stat().st_size > 10_000
