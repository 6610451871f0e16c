"""Signing in to the web pages (``/scorecard/``) from a TestClient, and reading a page's
CSRF token, for the tests of the web scorecard and the complaint tickets' pages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from tests.support.constants import PASSWORD


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> Response:
    form = client.get("/scorecard/login")
    return client.post("/scorecard/login", data={
        "username": username, "password": password, "csrf": csrf_of(form.text)},
        follow_redirects=False)
