"""The web scorecard in a real headless Chromium (the distribution's, driven by Playwright)
against the real server in a subprocess: signing in, filters, charts, flags, languages,
signing out, a forged POST, one agency kept from another's data; and the screenshots in
docs/screenshots (written there with CATI_WRITE_SCREENSHOTS=1, else to a temporary folder)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import WAIT_MS, chromium, scene_server
from tests.support.constants import PASSWORD, ROOT
from tests.support.flagging_app import FLAGGED_OFFICE
from tests.support.server_process import LiveServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with scene_server(tmp_path_factory, "scorecard-server",
                      app_factory="tests.support.flagging_app:make_app") as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(WAIT_MS)
    found = context.new_page()
    yield found
    context.close()


def sign_in(page: Page, server: LiveServer, username: str, password: str = PASSWORD) -> None:
    page.goto(server.base_url + "/scorecard/")
    expect(page).to_have_url(re.compile(r"/scorecard/login$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_filters_charts_flags_language_and_sign_out(page: Page,
                                                           server: LiveServer) -> None:
    sign_in(page, server, "dcrc", "a wrong password")
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    sign_in(page, server, "dcrc")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Service scorecard: DCRC")

    cid = page.locator("#service-CID")
    points = cid.locator("svg.chart.trend circle.point")
    expect(points).to_have_count(2)  # this quarter and the one before
    assert all(float(v) >= 1 for v in points.evaluate_all(
        "els => els.map(e => e.dataset.value)"))
    expect(cid.locator("svg.chart.offices rect.bar")).not_to_have_count(0)
    flagged = cid.locator(f'tr[data-office="{FLAGGED_OFFICE}"] .flag')
    expect(flagged).to_be_visible()
    expect(flagged).to_contain_text("Below peers")
    expect(cid.locator('tr[data-office="Gasa DCRC"] .figure.suppressed').first).to_be_visible()
    expect(cid.locator('tr[data-office="Phuntsholing DCRC"] .badge.indicative').first
           ).to_be_visible()
    expect(cid.locator('tr[data-office="Thimphu DCRC"] .ci').first).to_be_visible()

    page.get_by_label("Service", exact=True).select_option("MIMO")
    page.get_by_label("Period", exact=True).select_option("month")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"service=MIMO.*period_kind=month|"
                                        r"period_kind=month.*service=MIMO"))
    expect(page.locator("#service-CID")).to_have_count(0)
    ticks = page.locator("#service-MIMO svg.chart.trend text.tick").all_text_contents()
    assert any(re.fullmatch(r"\d{4}-\d{2}", t) for t in ticks), ticks

    page.get_by_role("link", name="རྫོང་ཁ").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ཞབས་ཏོག་གི་སྐུགས་ཐོ།")
    expect(page).to_have_url(re.compile(r"service=MIMO"))  # the filters survive the switch
    page.get_by_role("link", name="English").click()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/scorecard/login$"))
    page.goto(server.base_url + "/scorecard/")
    expect(page).to_have_url(re.compile(r"/scorecard/login$"))


def test_a_forged_post_is_refused_and_changes_nothing(page: Page, server: LiveServer) -> None:
    sign_in(page, server, "dcrc")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    forged = page.request.post(server.base_url + "/scorecard/logout",
                               form={"csrf": "guessed"}, max_redirects=0)
    assert forged.status == 403
    # a form on another site posting here: the Strict cookie is not sent, nothing happens
    page.set_content(f'<form method="post" action="{server.base_url}/scorecard/logout">'
                     '<input name="csrf" value="x"><button>go</button></form>')
    page.get_by_role("button", name="go").click()
    page.goto(server.base_url + "/scorecard/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Service scorecard")


def test_one_agency_never_sees_another(page: Page, server: LiveServer) -> None:
    sign_in(page, server, "moice")
    expect(page.get_by_role("heading", level=1)).to_contain_text("MOICE")
    for query in ("", "?agency=DCRC", "?agency=DCRC&service=CID"):
        page.goto(server.base_url + "/scorecard/" + query)
        body = page.locator("body").inner_text()
        assert "Trade licence renewal" in body
        assert "DCRC" not in body and "CID" not in body, query
    token = requests.post(server.base_url + "/v1/auth/token", timeout=10, json={
        "username": "moice", "password": PASSWORD, "device_id": "api"}).json()["access_token"]
    other = requests.get(server.base_url + "/v1/scorecard", params={"agency": "DCRC"},
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert other.status_code == 403


SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.mark.parametrize("size", sorted(SIZES))
def test_screenshots_at_desktop_and_phone_sizes(browser: Browser, server: LiveServer,
                                               tmp_path: Path, size: str) -> None:
    out = ROOT / "docs" / "screenshots" if os.environ.get("CATI_WRITE_SCREENSHOTS") else tmp_path
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height},
                                  device_scale_factor=1)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        page.goto(server.base_url + "/scorecard/login")
        page.screenshot(path=str(out / f"scorecard-login-{size}.png"))
        sign_in(page, server, "dcrc")
        expect(page.locator("svg.chart.trend").first).to_be_visible()
        page.screenshot(path=str(out / f"scorecard-{size}.png"), full_page=size == "desktop")
        if size == "phone":
            page.locator("#service-CID .offices-table").scroll_into_view_if_needed()
            page.screenshot(path=str(out / "scorecard-offices-phone.png"))
        page.goto(server.base_url + "/scorecard/?lang=dz")
        page.screenshot(path=str(out / f"scorecard-dz-{size}.png"))
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"the page is wider ({scroll}px) than the {size} screen"
    finally:
        context.close()
    assert (out / f"scorecard-{size}.png").stat().st_size > 10_000
