"""Push throughput (DESIGN.md §6, issue 14): completed interviews through the real API in
batches of 100, against an honest bare baseline: plain SQLAlchemy Core that writes what the
product must write for the same items, with nothing else.

    .venv/bin/python bench/push_throughput.py [--items 10000] [--backend sqlite|postgres|all]

The bare baseline, per batch of 100 and in one transaction: lock the cases (FOR UPDATE on
PostgreSQL), insert the ledger, interview, attempt and audit rows (the push's and the close's
revoke), update the cases (closed, disposition, plan, holder, version) and end their holds.

The server is started as in production, ``cati-server serve``: with 1 worker (SQLite and
PostgreSQL) and with 2 workers (PostgreSQL; SQLite serves one), where two clients push at once
and the baseline runs two writers at once. Prints items per second, the ratio bare time / API
time (target >= 0.5), the server's CPU per item (its whole process tree; target <= 0.4 ms),
and the load average (the machine is shared: absolute times vary with it, ratios much less).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import (  # noqa: E402
    fresh_database,
    pg_available,
    seed,
    server_cpu_seconds,
    server_process,
    token,
)

from cati_app.server.db import make_engine, transaction  # noqa: E402
from cati_app.server.models import (  # noqa: E402
    Assignment,
    AuditEntry,
    Case,
    ContactAttempt,
    InterviewVersion,
    PushedItem,
)
from cati_app.server.models.base import table_of  # noqa: E402

BATCH = 100
TARGET_RATIO = 0.5
TARGET_CPU_MS = 0.4
ANSWERS = {"consent": "yes", "availed": "yes", "acc_info": "4", "acc_reach": "5",
           "time_wait": "3", "time_turnaround": "2", "att_welcome": "5", "att_courtesy": "4",
           "int_fair": "dk", "int_payment": "5", "fb_channels": "ref", "fb_willing": "4",
           "comment": "Quick service", "complaint": "no"}

Item = dict[str, Any]


def make_items(n: int) -> list[Item]:
    start = datetime.now(UTC) - timedelta(hours=2)
    return [{"item_uuid": str(uuid.uuid4()), "kind": "interview_version", "case_id": i + 1,
             "assignment_version": 1,
             "payload": {"interview_uuid": str(uuid.uuid4()), "version_uuid": str(uuid.uuid4()),
                         "questionnaire_id": "set", "questionnaire_version": 1,
                         "language": "en", "started_at": start.isoformat(),
                         "ended_at": (start + timedelta(minutes=9)).isoformat(),
                         "answers": ANSWERS, "phone_index": 0}} for i in range(n)]


def batches(items: list[Item], writers: int) -> list[list[list[Item]]]:
    """Each writer's batches: the items cut in batches, dealt out in turn."""
    cut = [items[s:s + BATCH] for s in range(0, len(items), BATCH)]
    return [cut[w::writers] for w in range(writers)]


def in_parallel(work: Callable[[list[list[Item]]], None], shares: list[list[list[Item]]]
                ) -> float:
    began = time.perf_counter()
    with ThreadPoolExecutor(len(shares)) as pool:
        for done in [pool.submit(work, share) for share in shares]:
            done.result()
    return time.perf_counter() - began


# --- through the product -----------------------------------------------------------------------

def through_api(url: str, items: list[Item], workers: int) -> tuple[float, float]:
    """(wall seconds, server CPU seconds) to push every item, one client per worker."""
    with server_process(url, workers) as base:
        auth = token(base, "enum0")

        def push_share(share: list[list[Item]]) -> None:
            http = requests.Session()
            for batch in share:
                body: dict[str, Any] = {"device_id": "bench-enum0", "items": batch,
                                        "batch_uuid": str(uuid.uuid4())}
                r = http.post(f"{base}/v1/sync/push", json=body, headers=auth, timeout=300)
                r.raise_for_status()
                bad = [x for x in r.json()["results"] if x["status"] != "stored"]
                if bad:
                    raise SystemExit(f"unexpected push result: {bad[0]}")

        cpu = server_cpu_seconds(base)
        wall = in_parallel(push_share, batches(items, workers))
        return wall, server_cpu_seconds(base) - cpu


# --- the honest bare baseline ------------------------------------------------------------------

def bare_write(url: str, items: list[Item], writers: int) -> float:
    """What the product must write for the same items, with Core, one transaction a batch."""
    engine = make_engine(url, 20)
    sessions = sessionmaker(engine)
    now = datetime.now(UTC)
    cases, holds = table_of(Case), table_of(Assignment)

    def write_share(share: list[list[Item]]) -> None:
        for batch in share:
            ids = sorted(i["case_id"] for i in batch)
            with transaction(sessions) as s:
                s.execute(select(cases.c.id, cases.c.assignment_version)
                          .where(cases.c.id.in_(ids)).order_by(cases.c.id)
                          .with_for_update()).all()
                conn = s.connection()
                conn.execute(insert(table_of(PushedItem)), [_ledger(i, now) for i in batch])
                conn.execute(insert(table_of(InterviewVersion)),
                             [_version(i, now) for i in batch])
                conn.execute(insert(table_of(ContactAttempt)),
                             [_attempt(i, now) for i in batch])
                conn.execute(insert(table_of(AuditEntry)),
                             [row for i in batch for row in _audit(i, now)])
                conn.execute(update(cases).where(cases.c.id == bindparam("b_id")).values(
                    state="closed", holder_id=None, holder_device=None,
                    assignment_version=bindparam("b_version"), attempt_count=1,
                    last_called_at=bindparam("b_at"), disposition="complete",
                    disposition_code="1.1", next_call_at=None, next_phone_index=0,
                    plan_reason=bindparam("b_reason"), pool="retry",
                    closed_at=bindparam("b_at"), updated_at=bindparam("b_at")),
                    [dict(b_id=i["case_id"], b_version=2, b_at=now,
                          b_reason="final outcome: complete") for i in batch])
                conn.execute(update(holds).where(
                    holds.c.case_id == bindparam("b_case"),
                    holds.c.version == bindparam("b_version"), holds.c.ended_at.is_(None))
                    .values(ended_at=bindparam("b_at"), end_reason=bindparam("b_reason")),
                    [dict(b_case=i["case_id"], b_version=1, b_at=now,
                          b_reason="case closed: final outcome: complete") for i in batch])

    try:
        return in_parallel(write_share, batches(items, writers))
    finally:
        engine.dispose()


def _ledger(item: Item, now: datetime) -> dict[str, Any]:
    return dict(item_uuid=item["item_uuid"], kind=item["kind"], content_hash="0" * 64,
                user_id=1, device_id="bench", case_id=item["case_id"], status="stored",
                detail="stored: complete; case closed", received_at=now)


def _version(item: Item, now: datetime) -> dict[str, Any]:
    p = item["payload"]
    return dict(version_uuid=p["version_uuid"], item_uuid=item["item_uuid"],
                interview_uuid=p["interview_uuid"], case_id=item["case_id"], user_id=1,
                device_id="bench", assignment_version=1, questionnaire_id="set",
                questionnaire_version=1, language="en", started_at=now, ended_at=now,
                answers=p["answers"], completion="complete", problems=[], primary=True,
                stale=False, review_status="pending", review_comment="", received_at=now)


def _attempt(item: Item, now: datetime) -> dict[str, Any]:
    return dict(item_uuid=item["item_uuid"], case_id=item["case_id"], service_id=1, user_id=1,
                device_id="bench", assignment_version=1, started_at=now, ended_at=now,
                phone_index=0, outcome="complete", aapor_code="1.1", note="", stale=False,
                interview_version_uuid=item["payload"]["version_uuid"], received_at=now,
                effective_at=now, time_flags=[])


def _audit(item: Item, now: datetime) -> list[dict[str, Any]]:
    case = str(item["case_id"])
    return [dict(at=now, user_id=1, device_id="bench", action="push.interview_version",
                 entity="case", entity_id=case,
                 details={"item_uuid": item["item_uuid"], "stale": False,
                          "assignment_version": 1}),
            dict(at=now, user_id=1, device_id="bench", action="case.revoke", entity="case",
                 entity_id=case, details={"from_user": 1, "assignment_version": 2,
                                          "reason": "case closed: final outcome: complete"})]


def run(backend: str, n: int, folder: Path, workers: int) -> None:
    items = make_items(n)
    with fresh_database(backend, folder) as url:
        seed(url, enumerators=1, cases=n, held_by_first=True)
        api, cpu = through_api(url, items, workers)
    with fresh_database(backend, folder) as url:
        seed(url, enumerators=1, cases=n, held_by_first=True)
        bare = bare_write(url, items, workers)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"push {backend:8} workers={workers} items={n} api={api:.2f}s ({n / api:,.0f}/s) "
          f"bare={bare:.2f}s ({n / bare:,.0f}/s) ratio={bare / api:.2f} "
          f"(target >= {TARGET_RATIO}) server cpu={cpu * 1000 / n:.2f} ms/item "
          f"(target <= {TARGET_CPU_MS}) load avg {load}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "all"], default="all")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "all" else [args.backend]
    with tempfile.TemporaryDirectory() as folder:
        for backend in backends:
            if backend == "postgres" and not pg_available():
                print("push postgres: skipped, no PostgreSQL at CATI_BENCH_PG_URL")
                continue
            for workers in (1, 2) if backend == "postgres" else (1,):
                run(backend, args.items, Path(folder), workers)


if __name__ == "__main__":
    main()
