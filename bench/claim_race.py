"""Claim race (DESIGN.md §6): 50 concurrent enumerators claiming from 100,000 queued cases on
PostgreSQL through the real server. Prints double claims (must be 0) and claim latency
percentiles (target p95 <= 50 ms).

    .venv/bin/python bench/claim_race.py [--cases 100000] [--enumerators 50] [--rounds 10]
        [--per-claim 10] [--workers 2] [--backend postgres|sqlite]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import fresh_database, pg_available, seed, server_process, token  # noqa: E402

from cati_app.server.db import make_engine  # noqa: E402
from cati_app.server.models import Assignment, Case  # noqa: E402


def run(url: str, args: argparse.Namespace) -> None:
    seed(url, enumerators=args.enumerators, cases=args.cases)
    with server_process(url, workers=args.workers) as base:
        names = [f"enum{i}" for i in range(args.enumerators)]
        tokens = {n: token(base, n) for n in names}
        barrier = threading.Barrier(len(names))

        def claimer(name: str) -> tuple[list[float], list[int]]:
            http = requests.Session()
            latencies, got = [], []
            barrier.wait(timeout=60)
            for _ in range(args.rounds):
                began = time.perf_counter()
                r = http.post(f"{base}/v1/queue/claim", headers=tokens[name], timeout=60, json={
                    "request_uuid": str(uuid.uuid4()), "device_id": f"bench-{name}",
                    "max_cases": args.per_claim})
                latencies.append(time.perf_counter() - began)
                r.raise_for_status()
                got += [c["case_id"] for c in r.json()["cases"]]
            return latencies, got

        began = time.perf_counter()
        with ThreadPoolExecutor(len(names)) as pool:
            results = list(pool.map(claimer, names))
        wall = time.perf_counter() - began
    latencies = sorted(x for lat, _ in results for x in lat)
    claimed = [c for _, got in results for c in got]
    engine = make_engine(url)
    with engine.connect() as conn:
        held = conn.scalar(select(func.count()).select_from(Case).where(Case.state == "held"))
        multi = conn.scalar(select(func.count()).select_from(
            select(Assignment.case_id).group_by(Assignment.case_id)
            .having(func.count() > 1).subquery()))
    p = statistics.quantiles(latencies, n=100)
    print(f"claim {engine.dialect.name}: {len(latencies)} claims by {len(names)} enumerators "
          f"from {args.cases:,} cases in {wall:.1f}s; cases handed out {len(claimed)}, "
          f"distinct {len(set(claimed))}, held in db {held}; double claims "
          f"{len(claimed) - len(set(claimed)) + multi} (must be 0)")
    print(f"claim latency ms: p50 {p[49] * 1000:.1f}  p95 {p[94] * 1000:.1f}  "
          f"p99 {p[98] * 1000:.1f}  max {latencies[-1] * 1000:.1f}  (target p95 <= 50)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--enumerators", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-claim", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()
    if args.backend == "postgres" and not pg_available():
        raise SystemExit("no PostgreSQL at CATI_BENCH_PG_URL")
    with tempfile.TemporaryDirectory() as folder, \
            fresh_database(args.backend, Path(folder)) as url:
        run(url, args)


if __name__ == "__main__":
    main()
