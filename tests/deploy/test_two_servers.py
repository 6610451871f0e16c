"""Two server processes, one database: the scaled-out deployment of docs/deploy.md.

Claims and pushes are split across both processes at once, so correctness rests on the
database (FOR UPDATE SKIP LOCKED and the unique item key on PostgreSQL, BEGIN IMMEDIATE on
SQLite), not on anything one process holds in memory.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.deploy.deployment import CASES_PER_CLAIMER, PUSHED_CASES, Deployment
from tests.support.constants import PASSWORD
from tests.support.factories import attempt_item, claim_body, push_body
from tests.support.server_process import ENUMERATOR

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
CLAIMS_EACH, CASES_PER_CLAIM = 3, 3  # 9 asked per claimer, 8 there for each


def _login(url: str, username: str) -> dict[str, str]:
    r = requests.post(f"{url}/v1/auth/token", json={
        "username": username, "password": PASSWORD, "device_id": f"dev-{username}"}, timeout=30)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _post_retrying_busy(url: str, body: dict, auth: dict[str, str]) -> requests.Response:
    """503 means "the database is busy (a deadlock victim): retry", as clients do."""
    for _ in range(5):
        r = requests.post(url, json=body, headers=auth, timeout=60)
        if r.status_code != 503:
            return r
    return r


def _claim_race(deployment: Deployment) -> list[int]:
    names = [f"enum{i}" for i in range(deployment.claimers)]
    # Claimer i works through server i % 2, so every claim races one on the other process.
    servers = {name: deployment.servers[i % 2].url for i, name in enumerate(names)}
    tokens = {name: _login(servers[name], name) for name in names}
    barrier = threading.Barrier(len(names))

    def claim(name: str) -> list[int]:
        barrier.wait(timeout=30)
        got: list[int] = []
        for _ in range(CLAIMS_EACH):
            body = claim_body(CASES_PER_CLAIM, device_id=f"dev-{name}")
            r = _post_retrying_busy(f"{servers[name]}/v1/queue/claim", body, tokens[name])
            assert r.status_code == 200, r.text
            got += [case["case_id"] for case in r.json()["cases"]]
        return got

    with ThreadPoolExecutor(len(names)) as pool:
        return [case_id for got in pool.map(claim, names) for case_id in got]


def _duplicate_pushes(deployment: Deployment, copies: int = 10) -> list[list[str]]:
    first = deployment.servers[0].url
    auth = _login(first, ENUMERATOR)
    r = requests.post(f"{first}/v1/queue/claim", headers=auth, timeout=60,
                      json=claim_body(PUSHED_CASES, device_id=f"dev-{ENUMERATOR}"))
    assert r.status_code == 200, r.text
    cases = r.json()["cases"]
    assert len(cases) == PUSHED_CASES
    start = datetime.now(UTC) - timedelta(hours=1)
    body = push_body([attempt_item(case, start) for case in cases],
                     device_id=f"dev-{ENUMERATOR}")
    barrier = threading.Barrier(copies)

    def push(i: int) -> list[str]:
        barrier.wait(timeout=30)
        server = deployment.servers[i % 2].url
        r = _post_retrying_busy(f"{server}/v1/sync/push", body, auth)
        assert r.status_code == 200, r.text
        return [result["status"] for result in r.json()["results"]]

    with ThreadPoolExecutor(copies) as pool:
        return list(pool.map(push, range(copies)))


def test_two_processes_share_no_case_and_store_each_item_once(two_servers: Deployment) -> None:
    replies = _duplicate_pushes(two_servers)
    claimed = _claim_race(two_servers)

    assert all(set(statuses) <= {"stored", "duplicate"} for statuses in replies)
    stored_per_item = [sum(reply[i] == "stored" for reply in replies)
                       for i in range(PUSHED_CASES)]
    assert stored_per_item == [1] * PUSHED_CASES
    db = two_servers.database
    assert db.scalar("SELECT count(*) FROM contact_attempts") == PUSHED_CASES
    assert db.scalar("SELECT count(DISTINCT item_uuid) FROM pushed_items") == PUSHED_CASES
    assert db.scalar("SELECT count(*) FROM pushed_items") == PUSHED_CASES

    everything = two_servers.claimers * CASES_PER_CLAIMER
    assert len(claimed) == everything  # all handed out ...
    assert len(set(claimed)) == everything  # ... once each
    assert db.scalar("SELECT count(*) FROM cases WHERE state = 'held'") == (
        everything + PUSHED_CASES)
    assert db.rows("SELECT case_id FROM assignments GROUP BY case_id "
                   "HAVING count(*) > 1") == []
    _assert_logs_are_json_without_names(two_servers)


def _assert_logs_are_json_without_names(deployment: Deployment) -> None:
    for server in deployment.servers:
        lines = server.log().splitlines()
        entries = [json.loads(line) for line in lines]  # every line one JSON object
        access = [e for e in entries if e["logger"] == "cati_app.server.access"]
        assert {e["path"] for e in access} >= {"/v1/health", "/v1/auth/token",
                                               "/v1/queue/claim"}
        assert all(len(e["request_id"]) == 32 for e in access)
        assert "Respondent" not in server.log()  # the seeded people's names
        assert "+975" not in server.log()
