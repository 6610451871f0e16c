"""Guarantee G6 under real concurrency, on the real server (uvicorn on a loopback port) on
SQLite and PostgreSQL: many writers append to one enumerator's feed at once (a supervisor
reassigning cases to and from it, its own stale pushes raising conflict notices, an admin
uploading questionnaire versions) while readers page the feed with cursors. Every reader ends
with exactly the committed feed: no gap, no duplicate, never a cursor past a later commit."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import select

from cati_app.core.protocol import Role
from cati_app.core.questionnaire import default_questionnaire
from cati_app.server.models import FeedChange, User
from tests.support.constants import PASSWORD
from tests.support.factories import interview_item, push_body, seed_cases, seed_service

ROUNDS = 3
READERS = 3


def _token(url: str, username: str) -> dict[str, str]:
    r = requests.post(f"{url}/v1/auth/token", json={"username": username, "password": PASSWORD,
                                                    "device_id": f"dev-{username}"}, timeout=30)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _retrying(call: Any) -> requests.Response:
    """A 503 is a deadlock victim or a busy database: nothing committed, retry as a client."""
    for _ in range(20):
        r = call()
        if r.status_code != 503:
            return r
    return r


def test_concurrent_writers_and_paging_readers_see_the_committed_feed(ctx, live_server,
                                                                      make_user):
    url = live_server.url
    make_user("enum1")
    make_user("other")
    make_user("boss", Role.supervisor)
    make_user("root", Role.admin)
    cases = seed_cases(ctx, seed_service(ctx), 3 * ROUNDS)
    enum, boss, root = _token(url, "enum1"), _token(url, "boss"), _token(url, "root")
    stop = threading.Event()

    def reassign(case_id: int) -> None:
        # to enum1 (an upsert), away again by force (a revocation), back once more
        for target in ("enum1", "other", "enum1"):
            r = _retrying(lambda t=target: requests.post(
                f"{url}/v1/cases/assign", headers=boss, timeout=60, json={
                    "case_ids": [case_id], "to_user": t, "force": True, "reason": "race"}))
            assert r.status_code == 200, r.text

    def stale_completion(case_id: int) -> None:
        # enum1 held the case at version 1, then lost it: a stale completion, a conflict notice
        stale = {"case_id": case_id, "assignment_version": 1}
        body = push_body([interview_item(stale, ctx.clock.now() - timedelta(hours=1))],
                         device_id="dev-enum1")
        r = _retrying(lambda: requests.post(f"{url}/v1/sync/push", json=body, headers=enum,
                                            timeout=60))
        assert r.status_code == 200 and r.json()["results"][0]["status"] == "stored_conflict"

    def upload_questionnaire(version: int) -> None:
        definition = default_questionnaire().model_dump(mode="json")
        definition["version"] = version
        r = _retrying(lambda: requests.post(f"{url}/v1/admin/questionnaires", json=definition,
                                            headers=root, timeout=60))
        assert r.status_code == 201, r.text

    def read_until_stopped(_: int) -> list[int]:
        cursor, seen = "", []
        while True:
            finished = stop.is_set()  # read once more after the writers are done
            page = requests.get(f"{url}/v1/sync/pull", params={"cursor": cursor, "limit": 4},
                                headers=enum, timeout=60).json()
            seen += [c["seq"] for c in page["changes"]]
            cursor = page["next_cursor"]
            if finished and not page["has_more"]:
                return seen

    # the stale completions need cases enum1 once held and lost before the race starts
    stale_cases = cases[2 * ROUNDS:]
    for case_id in stale_cases:
        reassign(case_id)
        r = requests.post(f"{url}/v1/cases/assign", headers=boss, timeout=60, json={
            "case_ids": [case_id], "to_user": "other", "force": True, "reason": "before"})
        assert r.json()["results"][0]["result"] == "assigned"
    writes = ([lambda c=c: reassign(c) for c in cases[:2 * ROUNDS]]
              + [lambda c=c: stale_completion(c) for c in stale_cases]
              + [lambda v=v: upload_questionnaire(v) for v in range(2, 2 + ROUNDS)])
    with ThreadPoolExecutor(READERS) as readers, ThreadPoolExecutor(4) as writers:
        reading = [readers.submit(read_until_stopped, i) for i in range(READERS)]
        for done in [writers.submit(w) for w in writes]:
            done.result(timeout=120)
        stop.set()
        pulled = [r.result(timeout=120) for r in reading]

    with ctx.sessions() as s:
        user_id = s.scalar(select(User.id).where(User.username == "enum1"))
        committed = s.scalars(select(FeedChange.seq).where(FeedChange.user_id == user_id)
                              .order_by(FeedChange.seq)).all()
        types = set(s.scalars(select(FeedChange.type).where(FeedChange.user_id == user_id)))
    assert committed == list(range(1, len(committed) + 1))  # dense: no holes left by writers
    assert {"case_upsert", "case_revoked", "conflict_notice", "questionnaire_available"} <= types
    for seen in pulled:
        assert seen == committed  # every change once, in order: no gap, no duplicate
