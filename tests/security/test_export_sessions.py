"""Issue 11, exports and the database: a failed export leaves no broken connection behind, and
an export or a report (a read) never holds SQLite's write lock, so pushes go on meanwhile.

In-process app (the server fixtures, see conftest.py) on a SQLite file database and on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import Role
from cati_app.server.api import exports as exports_api
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import CaseState, InterviewVersion
from cati_app.server.services.reporting import exports as export_service
from cati_app.server.services.reporting import reporting
from tests.support.constants import PASSWORD
from tests.support.factories import attempt_item, claim_body, push_body, seed_cases, seed_service

INTERVIEWS = 30


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    # a failing request must come back as the 500 a real client sees, not raise in the test
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _seed_interviews(ctx: AppContext, service_id: int, user_id: int) -> None:
    """Closed cases with a primary interview each, so exports have rows to stream."""
    case_ids = seed_cases(ctx, service_id, INTERVIEWS, start=10_000)
    now = ctx.clock.now()
    with transaction(ctx.sessions) as session:
        for case_id in case_ids:
            session.add(InterviewVersion(
                version_uuid=str(uuid.uuid4()), item_uuid=str(uuid.uuid4()),
                interview_uuid=str(uuid.uuid4()), case_id=case_id, user_id=user_id,
                device_id="d", assignment_version=1, questionnaire_id="set",
                questionnaire_version=1, language="en", started_at=now,
                ended_at=now + timedelta(minutes=9),
                answers={"consent": "yes", "availed": "yes", "acc_info": "4",
                         "comment": "fine"},
                completion="complete", primary=True, received_at=now))
    _close(ctx, case_ids)


def _close(ctx: AppContext, case_ids: list[int]) -> None:
    from cati_app.server.models import Case

    with transaction(ctx.sessions) as session:
        session.query(Case).filter(Case.id.in_(case_ids)).update(
            {Case.state: CaseState.CLOSED, Case.disposition_code: "1.1"},
            synchronize_session=False)


@pytest.fixture
def world(ctx: AppContext, make_user: Callable[..., int],
          login: Callable[..., dict[str, str]]) -> dict[str, Any]:
    service_id = seed_service(ctx)
    seed_cases(ctx, service_id, 60)
    enumerator = make_user("enum1")
    make_user("ana", Role.analyst)
    _seed_interviews(ctx, service_id, enumerator)
    return {"analyst": login("ana"), "enum": login("enum1", "dev-enum1")}


def _claim_and_push(client: TestClient, auth: dict[str, str], ctx: AppContext,
                    device_id: str) -> list[int]:
    """A claim of one case and a push of one call attempt on it: both statuses."""
    claim = client.post("/v1/queue/claim", json=claim_body(1, device_id), headers=auth)
    statuses = [claim.status_code]
    if claim.status_code == 200 and claim.json()["cases"]:
        case = claim.json()["cases"][0]
        item = attempt_item(case, ctx.clock.now() - timedelta(minutes=1))
        push = client.post("/v1/sync/push", json=push_body([item], device_id), headers=auth)
        statuses.append(push.status_code)
    return statuses


# --- a failing export ------------------------------------------------------------------------


FAILING_EXPORTS = 3
WORKERS = 4


def _in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    results: list[Any] = [None] * count

    def run(n: int) -> None:
        results[n] = work(n)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def test_a_failed_export_leaves_no_broken_connection(
        ctx: AppContext, client: TestClient, world: dict[str, Any],
        make_user: Callable[..., int], login: Callable[..., dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    lingering: list[Any] = []
    together = threading.Barrier(FAILING_EXPORTS, timeout=5)

    def fail_mid_stream(path: Path, data: Any) -> None:
        rows = iter(data.interviews)
        next(rows)  # the stream is open, its cursor half read
        # Something still refers to the stream after the request (here this list; in the
        # server a reference cycle through the traceback): only closing it frees the cursor.
        lingering.append(rows)
        together.wait()  # several pooled connections fail at once
        raise OSError("disk full")

    monkeypatch.setattr(exports_api, "write_workbook", fail_mid_stream)
    # small chunks: the database cursor is still open, half read, when the writer fails
    monkeypatch.setattr(export_service, "CHUNK", 2)
    failed = _in_threads(FAILING_EXPORTS, lambda _n: client.get(
        "/v1/exports/summary.xlsx", headers=world["analyst"]).status_code)
    assert failed == [500] * FAILING_EXPORTS
    names = [f"worker{n}" for n in range(WORKERS)]
    for name in names:
        make_user(name)
    auths = [login(name, f"dev-{name}") for name in names]

    def rounds(n: int) -> list[int]:
        statuses: list[int] = []
        for _ in range(20 // WORKERS):
            statuses.append(client.post("/v1/auth/token", json={
                "username": names[n], "password": PASSWORD,
                "device_id": f"dev-{names[n]}"}).status_code)
            statuses += _claim_and_push(client, auths[n], ctx, f"dev-{names[n]}")
        return statuses

    statuses = [s for each in _in_threads(WORKERS, rounds) for s in each]
    assert len(statuses) >= 3 * 20
    assert 503 not in statuses and all(s < 500 for s in statuses), statuses
    monkeypatch.undo()
    assert client.get("/v1/exports/summary.xlsx", headers=world["analyst"]).status_code == 200


# --- reads do not block pushes ---------------------------------------------------------------

HOLD_SECONDS = 5.0
PUSH_BOUND_SECONDS = 2.0


def _held_reader(monkeypatch: pytest.MonkeyPatch, kind: str, started: threading.Event,
                 release: threading.Event) -> str:
    """Make the export (or the report) pause inside its read transaction until released."""
    if kind == "export":
        real_writer = exports_api.write_workbook

        def slow_writer(path: Path, data: Any) -> Any:
            next(iter(data.interviews))  # reading: the transaction has begun
            started.set()
            release.wait(HOLD_SECONDS)
            return real_writer(path, data)

        monkeypatch.setattr(exports_api, "write_workbook", slow_writer)
        return "/v1/exports/summary.xlsx"
    real_rates = reporting.response_rates

    def slow_rates(session: Any, **kwargs: Any) -> Any:
        result = real_rates(session, **kwargs)
        started.set()
        release.wait(HOLD_SECONDS)
        return result

    monkeypatch.setattr(reporting, "response_rates", slow_rates)
    return "/v1/reports/response-rates"


@pytest.mark.parametrize("kind", ["export", "report"])
def test_a_long_read_does_not_block_pushes(
        ctx: AppContext, client: TestClient, world: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    claim = client.post("/v1/queue/claim", json=claim_body(3), headers=world["enum"])
    cases = claim.json()["cases"]
    started, release = threading.Event(), threading.Event()
    url = _held_reader(monkeypatch, kind, started, release)
    reply: dict[str, int] = {}
    reader = threading.Thread(target=lambda: reply.update(
        status=client.get(url, headers=world["analyst"]).status_code))
    reader.start()
    try:
        assert started.wait(30), "the read never started"
        began = time.monotonic()
        item = attempt_item(cases[0], ctx.clock.now() - timedelta(minutes=1))
        push = client.post("/v1/sync/push", json=push_body([item]), headers=world["enum"])
        took = time.monotonic() - began
    finally:
        release.set()
        reader.join(60)
    assert push.status_code == 200, push.text
    assert push.json()["results"][0]["status"] == "stored"
    assert took < PUSH_BOUND_SECONDS, f"the push waited {took:.1f} s for the {kind}"
    assert reply == {"status": 200}
