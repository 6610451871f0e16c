"""Push throughput (DESIGN.md §6): 10,000 completed interviews through the real API in batches
of 100, against a bare SQLAlchemy Core bulk insert of the same rows into the same schema.

    .venv/bin/python bench/push_throughput.py [--items 10000] [--backend sqlite|postgres|all]

Prints items per second for both and the ratio bare-time / API-time (target >= 0.25).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import insert
from sqlalchemy.orm import sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import fresh_database, pg_available, seed, server_process, token  # noqa: E402

from cati_app.server.db import make_engine, transaction  # noqa: E402
from cati_app.server.models import (  # noqa: E402
    AuditEntry,
    ContactAttempt,
    InterviewVersion,
    PushedItem,
)

BATCH = 100
ANSWERS = {"consent": "yes", "availed": "yes", "acc_info": "4", "acc_reach": "5",
           "time_wait": "3", "time_turnaround": "2", "att_welcome": "5", "att_courtesy": "4",
           "int_fair": "dk", "int_payment": "5", "fb_channels": "ref", "fb_willing": "4",
           "comment": "Quick service", "complaint": "no"}


def make_items(n: int) -> list[dict]:
    start = datetime.now(UTC) - timedelta(hours=2)
    return [{"item_uuid": str(uuid.uuid4()), "kind": "interview_version", "case_id": i + 1,
             "assignment_version": 1,
             "payload": {"interview_uuid": str(uuid.uuid4()), "version_uuid": str(uuid.uuid4()),
                         "questionnaire_id": "set", "questionnaire_version": 1,
                         "language": "en", "started_at": start.isoformat(),
                         "ended_at": (start + timedelta(minutes=9)).isoformat(),
                         "answers": ANSWERS, "phone_index": 0}} for i in range(n)]


def through_api(url: str, items: list[dict]) -> float:
    with server_process(url) as base:
        auth = token(base, "enum0")
        http = requests.Session()
        began = time.perf_counter()
        for start in range(0, len(items), BATCH):
            body = {"device_id": "bench-enum0", "batch_uuid": str(uuid.uuid4()),
                    "items": items[start:start + BATCH]}
            r = http.post(f"{base}/v1/sync/push", json=body, headers=auth, timeout=120)
            r.raise_for_status()
            bad = [x for x in r.json()["results"] if x["status"] != "stored"]
            if bad:
                raise SystemExit(f"unexpected push result: {bad[0]}")
        return time.perf_counter() - began


def bare_insert(url: str, items: list[dict]) -> float:
    """The same rows the push writes, inserted with Core, one transaction per batch."""
    sessions = sessionmaker(make_engine(url))
    now = datetime.now(UTC)
    began = time.perf_counter()
    for start in range(0, len(items), BATCH):
        batch = items[start:start + BATCH]
        with transaction(sessions) as s:
            s.execute(insert(PushedItem), [_ledger(i, now) for i in batch])
            s.execute(insert(InterviewVersion), [_version(i, now) for i in batch])
            s.execute(insert(ContactAttempt), [_attempt(i, now) for i in batch])
            s.execute(insert(AuditEntry), [_audit(i, now) for i in batch])
    return time.perf_counter() - began


def _ledger(item: dict, now: datetime) -> dict:
    return dict(item_uuid=item["item_uuid"], kind=item["kind"], content_hash="0" * 64,
                user_id=1, device_id="bench", case_id=item["case_id"], status="stored",
                detail="", received_at=now)


def _version(item: dict, now: datetime) -> dict:
    p = item["payload"]
    return dict(version_uuid=p["version_uuid"], item_uuid=item["item_uuid"],
                interview_uuid=p["interview_uuid"], case_id=item["case_id"], user_id=1,
                device_id="bench", assignment_version=1, questionnaire_id="set",
                questionnaire_version=1, language="en", started_at=now, ended_at=now,
                answers=p["answers"], completion="complete", problems=[], primary=True,
                stale=False, review_status="pending", review_comment="", received_at=now)


def _attempt(item: dict, now: datetime) -> dict:
    return dict(item_uuid=item["item_uuid"], case_id=item["case_id"], user_id=1,
                device_id="bench", assignment_version=1, started_at=now, ended_at=now,
                phone_index=0, outcome="complete", aapor_code="1.1", note="", stale=False,
                interview_version_uuid=item["payload"]["version_uuid"], received_at=now)


def _audit(item: dict, now: datetime) -> dict:
    return dict(at=now, user_id=1, device_id="bench", action="push.interview_version",
                entity="case", entity_id=str(item["case_id"]), details={})


def run(backend: str, n: int, folder: Path) -> None:
    items = make_items(n)
    with fresh_database(backend, folder) as url:
        seed(url, enumerators=1, cases=n, held_by_first=True)
        api = through_api(url, items)
    with fresh_database(backend, folder) as url:
        seed(url, enumerators=1, cases=n, held_by_first=True)
        bare = bare_insert(url, items)
    print(f"push {backend:8} items={n} api={api:.2f}s ({n / api:,.0f}/s) "
          f"bare={bare:.2f}s ({n / bare:,.0f}/s) ratio={bare / api:.2f} (target >= 0.25)")


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
            run(backend, args.items, Path(folder))


if __name__ == "__main__":
    main()
