"""The web scorecard through the app (both backends): signing in and out, cookies, CSRF, the
agency's own data only, no names or phone numbers, languages and shipped assets. Figures come
from the scorecard service; these tests assert what the pages do with them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import Role
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.services.accounts import users
from tests.support.constants import PASSWORD
from tests.support.factories import seed_service
from tests.support.scored_interviews import seed_scored_interviews


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> object:
    form = client.get("/scorecard/login")
    return client.post("/scorecard/login", data={
        "username": username, "password": password, "csrf": _csrf(form.text)},
        follow_redirects=False)


def make_agency_user(ctx: AppContext, username: str, agency: str) -> None:
    with transaction(ctx.sessions) as session:
        users.create_user(session, ctx.hasher, username=username, password=PASSWORD,
                          role=Role.agency, full_name="", at=ctx.clock.now(), agency=agency)


@pytest.fixture
def two_agencies(ctx: AppContext) -> None:
    seed_service(ctx, "CID", "Issuance of New CID Card", agency="DCRC")
    seed_service(ctx, "TRADE", "Trade licence renewal", agency="MOICE")
    make_agency_user(ctx, "dcrc", "DCRC")
    make_agency_user(ctx, "moice", "MOICE")
    when = ctx.clock.now() - timedelta(days=3)
    for office, scores in (("Thimphu DCRC", [4.0, 5.0] * 20), ("Paro DCRC", [3.0, 4.0] * 8)):
        seed_scored_interviews(ctx.sessions, service_code="CID", office=office,
                               dzongkhag=office.split()[0], started_at=when,
                               composites=scores, name_prefix="Secret Name")
    seed_scored_interviews(ctx.sessions, service_code="TRADE", office="Phuntsholing MOICE",
                           dzongkhag="Chhukha", started_at=when, composites=[2.0] * 12)


def test_sign_in_wrong_password_then_right_sets_a_strict_httponly_cookie(
        client: TestClient, two_agencies: None) -> None:
    first = client.get("/scorecard/", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/scorecard/login"
    wrong = sign_in(client, "dcrc", "not the password")
    assert wrong.status_code == 401
    assert "Wrong username or password." in wrong.text
    right = sign_in(client, "dcrc")
    assert right.status_code == 303 and right.headers["location"] == "/scorecard/"
    cookie = next(h for h in right.headers.get_list("set-cookie")
                  if h.startswith("cati_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/scorecard" in cookie
    assert "Secure" not in cookie  # CATI_SECURE_COOKIES is off in tests (plain HTTP)
    page = client.get("/scorecard/")
    assert page.status_code == 200 and "Issuance of New CID Card" in page.text


def test_the_agency_sees_only_its_own_services_and_no_personal_data(
        client: TestClient, two_agencies: None) -> None:
    sign_in(client, "dcrc")
    for query in ("", "?agency=MOICE", "?service=TRADE&agency=MOICE"):
        page = client.get(f"/scorecard/{query}")
        assert page.status_code == 200
        assert "Trade licence renewal" not in page.text and "Phuntsholing" not in page.text
        assert "Secret Name" not in page.text and "+975" not in page.text
    page = client.get("/scorecard/")
    assert "Thimphu DCRC" in page.text and "Paro DCRC" in page.text
    assert 'id="agency"' not in page.text  # no agency filter for an agency account


def test_the_scorecard_api_keeps_an_agency_to_its_own(
        client: TestClient, two_agencies: None, login: Callable[..., dict[str, str]]) -> None:
    headers = login("dcrc")
    own = client.get("/v1/scorecard", headers=headers)
    assert own.status_code == 200
    assert {c["agency"] for c in own.json()["cells"]} == {"DCRC"}
    assert "Secret Name" not in own.text and "+975" not in own.text
    other = client.get("/v1/scorecard", params={"agency": "MOICE"}, headers=headers)
    assert other.status_code == 403 and "DCRC only" in other.json()["detail"]


def test_analysts_see_every_agency_and_filter_by_one(
        client: TestClient, two_agencies: None, make_user: Callable[..., int]) -> None:
    make_user("ana", Role.analyst)
    sign_in(client, "ana")
    everything = client.get("/scorecard/")
    assert "Trade licence renewal" in everything.text and "Thimphu DCRC" in everything.text
    assert 'id="agency"' in everything.text
    one = client.get("/scorecard/", params={"agency": "MOICE"})
    assert "Trade licence renewal" in one.text and "Thimphu DCRC" not in one.text


def test_enumerators_cannot_open_the_scorecard(client: TestClient, two_agencies: None,
                                               make_user: Callable[..., int]) -> None:
    make_user("karma", Role.enumerator)
    refused = sign_in(client, "karma")
    assert refused.status_code == 401 and "use the desktop app" in refused.text
    assert client.get("/scorecard/", follow_redirects=False).status_code == 303


def test_a_login_post_without_the_forms_token_is_refused(
        client: TestClient, two_agencies: None) -> None:
    client.get("/scorecard/login")
    forged = client.post("/scorecard/login", data={
        "username": "dcrc", "password": PASSWORD, "csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403 and "expired" in forged.text
    assert "cati_session" not in forged.headers.get("set-cookie", "")


def test_sign_out_needs_the_pages_token_and_ends_the_session(
        client: TestClient, two_agencies: None) -> None:
    sign_in(client, "dcrc")
    page = client.get("/scorecard/")
    forged = client.post("/scorecard/logout", data={"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    assert client.get("/scorecard/", follow_redirects=False).status_code == 200
    token = client.cookies.get("cati_session")
    out = client.post("/scorecard/logout", data={"csrf": _csrf(page.text)},
                      follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/scorecard/", follow_redirects=False).status_code == 303
    # the token itself is revoked, not just forgotten by this browser
    assert client.get("/v1/scorecard", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 401


def test_dzongkha_labels_the_font_and_the_stylesheet_are_served(
        client: TestClient, two_agencies: None) -> None:
    dz = client.get("/scorecard/login?lang=dz")
    assert "ནང་བསྐྱོད།" in dz.text and 'lang="dz"' in dz.text
    sign_in(client, "dcrc")
    page = client.get("/scorecard/")  # the choice is remembered
    assert "ཞབས་ཏོག་གི་སྐུགས་ཐོ།" in page.text
    assert client.get("/scorecard/?lang=en").text.count("Service scorecard") >= 1
    font = client.get("/scorecard/fonts/DDC_Uchen.ttf")
    assert font.status_code == 200 and len(font.content) > 10_000
    css = client.get("/scorecard/static/scorecard.css")
    assert css.status_code == 200 and "DDC Uchen" in css.text
    assert "http://" not in css.text and "https://" not in css.text


def test_the_page_has_no_outside_assets(client: TestClient, two_agencies: None) -> None:
    sign_in(client, "dcrc")
    page = client.get("/scorecard/").text
    assert not re.search(r'(src|href)="(https?:)?//', page), "every asset is served locally"
