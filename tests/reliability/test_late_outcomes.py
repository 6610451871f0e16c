"""Late refusals (issue 10): an enumerator codes hard refusals offline; meanwhile the supervisor
moves every one of those cases to another enumerator. When the first desktop comes back, its
real SyncEngine pushes the refusals. Each case must then count as a refusal pending review
(never as "not attempted", never refiled as fresh), be offered to nobody, and follow the
supervisor's decision: confirmed cases close as refusals; dismissed ones go back to the new
holder, and a no-answer coded after that stays a no-answer."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from cati_app.client.store import work
from tests.reliability.desk import Desk
from tests.support.constants import PASSWORD
from tests.support.server_process import OTHER_ENUMERATOR, SUPERVISOR, start_server
from tests.support.soak import scaled


def _login(base_url: str, username: str) -> dict[str, str]:
    r = requests.post(f"{base_url}/v1/auth/token", timeout=30, json={
        "username": username, "password": PASSWORD, "device_id": f"dev-{username}"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _post(base_url: str, path: str, auth: dict[str, str], body: dict[str, Any]
          ) -> dict[str, Any]:
    r = requests.post(f"{base_url}{path}", json=body, headers=auth, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def test_late_refusals_wait_as_refusals_and_follow_the_supervisors_decision(
        tmp_path: Path, backend: str) -> None:
    n = scaled(20, 200)
    with start_server(tmp_path, backend, cases=n) as server:
        url = server.base_url
        desk = Desk(url, tmp_path / "karma.sqlite3", target_queue_size=n)
        try:
            desk.claim_until(n)
            ids = sorted(desk.active_ids())
            _refuse_offline(desk, ids)
            boss, sonam = _login(url, SUPERVISOR), _login(url, OTHER_ENUMERATOR)
            moved = _post(url, "/v1/cases/assign", boss, {
                "case_ids": ids, "to_user": OTHER_ENUMERATOR, "force": True,
                "reason": "karma is off sick"})["results"]
            assert {r["result"] for r in moved} == {"assigned"}
            started = time.monotonic()
            desk.sync_until_settled(max_cycles=20)
            push_seconds = time.monotonic() - started
            assert desk.active_ids() == []  # revoked on karma's desk too
        finally:
            desk.close()

        # waiting: refusals pending review, with nobody
        assert server.rows("SELECT DISTINCT state, disposition, pool FROM cases") == [
            ("needs_supervisor", "hard_refusal", "retry")]
        assert server.scalar("SELECT count(*) FROM cases WHERE holder_id IS NOT NULL") == 0
        rates = requests.get(f"{url}/v1/reports/response-rates", headers=boss, timeout=30).json()
        assert (rates["counts"]["R"], rates["counts"]["UH"]) == (n, 0)
        grant = _post(url, "/v1/queue/claim", sonam, {
            "request_uuid": str(uuid.uuid4()), "device_id": f"dev-{OTHER_ENUMERATOR}",
            "max_cases": n})
        assert grant["cases"] == []

        conflicts = requests.get(f"{url}/v1/conflicts", params={"limit": n}, headers=boss,
                                 timeout=30).json()["conflicts"]
        assert len(conflicts) == n and {c["kind"] for c in conflicts} == {"stale_final_outcome"}
        by_case = {c["case_id"]: c["id"] for c in conflicts}
        confirmed, dismissed = ids[: n // 2], ids[n // 2:]
        started = time.monotonic()
        for case_id in ids:
            decision = "confirm" if case_id in confirmed else "dismiss"
            _post(url, f"/v1/conflicts/{by_case[case_id]}/resolve", boss,
                  {"decision": decision, "resolution": f"{decision}ed after a call-back"})
        resolve_seconds = time.monotonic() - started

        upserts = _pull_upserts(url, sonam)
        assert sorted(upserts) == dismissed
        now = datetime.now(UTC)
        results = _post(url, "/v1/sync/push", sonam, {
            "device_id": f"dev-{OTHER_ENUMERATOR}", "batch_uuid": str(uuid.uuid4()),
            "items": [_no_answer(case_id, upserts[case_id], now) for case_id in dismissed]},
        )["results"]
        assert {r["status"] for r in results} == {"stored"}

        assert _states(server, confirmed) == {("closed", "hard_refusal")}
        assert _states(server, dismissed) == {("held", "no_answer")}
        assert server.scalar("SELECT count(*) FROM contact_attempts") == n + len(dismissed)
        assert server.scalar("SELECT count(*) FROM contact_attempts WHERE dismissed") == len(
            dismissed)
    print(f"\nlate refusals ({backend}): {n} cases, pushed and settled in {push_seconds:.1f} s, "
          f"{n} decisions in {resolve_seconds:.1f} s")


def _refuse_offline(desk: Desk, case_ids: list[int]) -> None:
    now = desk.clock.now()
    with desk.store._transaction() as session:  # noqa: SLF001 - one local commit for all
        for case_id in case_ids:
            work.record_attempt(session, desk.store._rules, desk.store.username,  # noqa: SLF001
                                case_id, outcome="hard_refusal", phone_index=0,
                                started_at=now - timedelta(minutes=5),
                                ended_at=now - timedelta(minutes=4),
                                note="never call me again", appointment_at=None,
                                appointment_kind=None, now=now)


def _pull_upserts(url: str, auth: dict[str, str]) -> dict[int, int]:
    """case_id -> the newest assignment_version the feed gave for it."""
    versions: dict[int, int] = {}
    cursor = 0
    while True:
        page = requests.get(f"{url}/v1/sync/pull", params={"cursor": cursor}, headers=auth,
                            timeout=30).json()
        for change in page["changes"]:
            if change["type"] == "case_upsert":
                versions[change["case_id"]] = change["assignment_version"]
            elif change["type"] == "case_revoked":
                versions.pop(change["case_id"], None)
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return versions


def _no_answer(case_id: int, version: int, at: datetime) -> dict[str, Any]:
    return {"item_uuid": str(uuid.uuid4()), "kind": "contact_attempt", "case_id": case_id,
            "assignment_version": version,
            "payload": {"started_at": at.isoformat(), "ended_at": at.isoformat(),
                        "phone_index": 0, "outcome": "no_answer"}}


def _states(server: Any, case_ids: list[int]) -> set[tuple[str, str]]:
    rows = server.rows("SELECT id, state, disposition FROM cases")
    return {(state, disposition) for case_id, state, disposition in rows
            if case_id in case_ids}
