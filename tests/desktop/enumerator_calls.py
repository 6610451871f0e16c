"""An enumerator's side of the live server, as plain HTTP calls, for supervisor tests that
need real work arriving: sign in, claim and acknowledge cases, push items."""

from __future__ import annotations

from typing import Any

import requests

from tests.server.factories import claim_body, push_body
from tests.support.constants import PASSWORD


class EnumeratorCalls:
    def __init__(self, url: str, username: str) -> None:
        self.url = url
        self.device_id = f"dev-{username}"
        r = requests.post(f"{url}/v1/auth/token", timeout=10, json={
            "username": username, "password": PASSWORD, "device_id": self.device_id})
        assert r.status_code == 200, r.text
        self.auth = {"Authorization": f"Bearer {r.json()['access_token']}"}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = requests.post(f"{self.url}{path}", json=body, headers=self.auth, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def claim(self, n: int) -> list[dict[str, Any]]:
        """Claim and acknowledge up to ``n`` cases, as a desktop's sync does."""
        grant = self.post("/v1/queue/claim", claim_body(n, self.device_id))
        if grant["cases"]:
            self.post("/v1/queue/ack", {"grant_id": grant["grant_id"],
                                        "case_ids": [c["case_id"] for c in grant["cases"]]})
        return grant["cases"]

    def push(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.post("/v1/sync/push", push_body(items, self.device_id))["results"]
