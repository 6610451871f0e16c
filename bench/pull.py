"""Pull at field scale (DESIGN.md §6, issue 14): an enumerator's `GET /v1/sync/pull` that
returns 20 changes (case upserts of the 20 cases they hold), through the real server (`cati-server
serve --workers 2`) on PostgreSQL, at several sample sizes. The feed table grows with the sample
(one entry per case, for another enumerator), so a pull that read more than its own page would
slow down with it. Beside it, the bare SQL of the same page (the feed rows and the held cases)
in the same run.

    .venv/bin/python bench/pull.py [--sizes 1000,100000,1000000] [--pulls 200]

Targets: p50 <= 10 ms at every size; flat: p50 at the largest size / p50 at the smallest <= 1.2.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import Engine, insert, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import (  # noqa: E402
    fresh_database,
    load_average,
    pg_available,
    seed,
    server_process,
    token,
)

from cati_app.server.db import make_engine  # noqa: E402
from cati_app.server.models import Case, FeedChange, User  # noqa: E402

CHANGES = 20
BATCH = 20_000


def seed_feed(engine: Engine, cases: int) -> int:
    """enum0 holds the first 20 cases and has one upsert each in their feed; enum1's feed holds
    one entry per case of the sample. Returns enum0's cursor before the 20 upserts."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ids = dict(conn.execute(select(User.username, User.id)).all())
        me, other = ids["enum0"], ids["enum1"]
        mine, theirs = (conn.scalar(select(User.feed_seq).where(User.id == u)) or 0
                        for u in (me, other))
        held = list(conn.scalars(select(Case.id).order_by(Case.id).limit(CHANGES)))
        conn.execute(update(Case).where(Case.id.in_(held)).values(
            state="held", holder_id=me, holder_device="bench-enum0", assignment_version=1))
        conn.execute(insert(FeedChange), [
            dict(user_id=me, seq=mine + i + 1, type="case_upsert", case_id=case_id,
                 assignment_version=1, body=_upsert_body(case_id), created_at=now)
            for i, case_id in enumerate(held)])
        conn.execute(update(User).where(User.id == me).values(feed_seq=mine + CHANGES))
        for start in range(0, cases, BATCH):
            conn.execute(insert(FeedChange), [
                dict(user_id=other, seq=theirs + start + i + 1, type="case_revoked",
                     case_id=start + i + 1, assignment_version=1, body={"reason": "moved"},
                     created_at=now)
                for i in range(min(BATCH, cases - start))])
        conn.execute(update(User).where(User.id == other).values(feed_seq=theirs + cases))
        conn.execute(text("ANALYZE"))
    return mine


def _upsert_body(case_id: int) -> dict[str, object]:
    """About the size of a real case upsert (a QueueCase with a few attempts)."""
    return {"case_id": case_id, "assignment_version": 1, "service_code": "CID",
            "service_name": "New CID card", "questionnaire_id": "set",
            "questionnaire_version": 1, "priority": 50, "respondent_name": f"R {case_id}",
            "phones": ["+97517123456", "+97577123456"], "office": "Thimphu",
            "dzongkhag": "Thimphu", "date_availed": "2026-05-01", "language": "dz",
            "attempts": [{"started_at": "2026-06-01T04:00:00+00:00", "outcome": "no_answer",
                          "aapor_code": "3.13", "phone_index": 0, "note": "",
                          "enumerator": "enum0"}] * 2,
            "next_call_at": None, "appointment": None, "state": "held", "correction": None}


BARE_PAGE = """SELECT f.seq, f.type, f.case_id, f.assignment_version, f.body
FROM feed_changes f WHERE f.user_id = :u AND f.seq > :cursor ORDER BY f.seq LIMIT 201"""
BARE_CASES = "SELECT id, holder_id, holder_device FROM cases WHERE id = ANY(:ids)"


def bare_pulls(engine: Engine, cursor: int, count: int) -> list[float]:
    times = []
    with engine.connect() as conn:
        me = conn.scalar(select(User.id).where(User.username == "enum0"))
        for _ in range(count):
            began = time.perf_counter()
            rows = conn.execute(text(BARE_PAGE), {"u": me, "cursor": cursor}).all()
            conn.execute(text(BARE_CASES), {"ids": [r.case_id for r in rows]}).all()
            conn.rollback()
            times.append(time.perf_counter() - began)
            assert len(rows) == CHANGES
    return times


def product_pulls(base: str, cursor: int, count: int) -> list[float]:
    auth = token(base, "enum0")
    http = requests.Session()
    times = []
    for i in range(count + 20):  # the first 20 warm the worker's caches and connections
        began = time.perf_counter()
        r = http.get(f"{base}/v1/sync/pull", params={"cursor": str(cursor)}, headers=auth,
                     timeout=30)
        elapsed = time.perf_counter() - began
        r.raise_for_status()
        assert len(r.json()["changes"]) == CHANGES
        if i >= 20:
            times.append(elapsed)
    return times


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def measure(size: int, pulls: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as folder, \
            fresh_database("postgres", Path(folder)) as url:
        began = time.perf_counter()
        seed(url, enumerators=2, cases=size)
        engine = make_engine(url)
        cursor = seed_feed(engine, size)
        seeded = time.perf_counter() - began
        bare = bare_pulls(engine, cursor, pulls)
        engine.dispose()
        with server_process(url, workers=workers) as base:
            times = product_pulls(base, cursor, pulls)
    print(f"{size:>9,} cases (seeded in {seeded:.0f} s): pull of {CHANGES} changes p50 "
          f"{p(times, 50):.1f} ms, p95 {p(times, 95):.1f} ms (target p50 <= 10); bare SQL "
          f"p50 {p(bare, 50):.2f} ms; {load_average()}")
    return p(times, 50)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000",
                        help="sample sizes, comma-separated (smallest first)")
    parser.add_argument("--pulls", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not pg_available():
        raise SystemExit("no PostgreSQL at CATI_BENCH_PG_URL")
    sizes = [int(s) for s in args.sizes.split(",")]
    p50s = [measure(size, args.pulls, args.workers) for size in sizes]
    print(f"flat: p50 at {sizes[-1]:,} / p50 at {sizes[0]:,} = {p50s[-1] / p50s[0]:.2f} "
          f"(target <= 1.2); {load_average()}")


if __name__ == "__main__":
    main()
