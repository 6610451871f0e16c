"""Claims at field scale (DESIGN.md §6, issue 14) through the real server (`cati-server serve
--workers 2`) on PostgreSQL, side by side with a bare SQL claim in the same run:

1. bare SQL claim of 10: one UPDATE ... WHERE id IN (SELECT ... ORDER BY the fresh pool's order
   LIMIT 10 FOR UPDATE SKIP LOCKED) RETURNING the contact columns, committed;
2. the product's claim of 10, one enumerator, unloaded, on a kept-alive connection: p50, the
   ratio to the bare claim, the server's CPU per claim, SQL statements per claim;
3. the 09:00 burst: every enumerator claims 30 cases at the same instant (each on a warm
   connection); all served within ... s; double claims (must be 0);
4. steady load: every enumerator claims 10 every 30 s, spread evenly (an open loop: a claim
   starts at its time whether or not others have finished), for --steady-seconds.

    .venv/bin/python bench/claim_race.py [--cases 100000] [--enumerators 50]
        [--steady-seconds 60] [--workers 2] [--backend postgres|sqlite] [--routing]

Targets (per core, so they hold on this 2-core machine): claim of 10 p50 <= 10 ms and >= 0.25 x
the bare claim; server CPU <= 6 ms + 0.3 ms per case; burst <= 1 s; steady p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import (  # noqa: E402
    PASSWORD,
    bench_settings,
    fresh_database,
    load_average,
    pg_available,
    seed,
    server_cpu_seconds,
    server_process,
    token,
)

from cati_app.server.app import create_app  # noqa: E402
from cati_app.server.context import AppContext  # noqa: E402
from cati_app.server.db import make_engine  # noqa: E402
from cati_app.server.models import Assignment, Case  # noqa: E402

UNLOADED_CLAIMS = 60
PER_CLAIM = 10
BURST_CASES = 30
STEADY_PERIOD_S = 30.0

BARE_CLAIM = """
UPDATE cases SET state = 'held', holder_id = :user, assignment_version = assignment_version + 1,
       grant_id = :grant, delivery_deadline = :deadline, updated_at = :now
WHERE id IN (SELECT id FROM cases WHERE state = 'queued' AND pool = 'fresh'
             ORDER BY priority DESC, date_availed DESC NULLS LAST, id
             LIMIT :n FOR UPDATE SKIP LOCKED)
RETURNING id, assignment_version, respondent_name, phone1, phone2, phone3, office, dzongkhag,
          date_availed, language, priority"""


def bare_claims(engine: Engine, user_id: int, count: int) -> list[float]:
    from datetime import UTC, datetime, timedelta

    times = []
    for _ in range(count):
        now = datetime.now(UTC)
        began = time.perf_counter()
        with engine.begin() as conn:
            rows = conn.execute(text(BARE_CLAIM), {
                "user": user_id, "grant": str(uuid.uuid4()), "now": now,
                "deadline": now + timedelta(minutes=10), "n": PER_CLAIM}).all()
        times.append(time.perf_counter() - began)
        assert len(rows) == PER_CLAIM
    return times


def claim(http: requests.Session, base: str, auth: dict[str, str], name: str, n: int
          ) -> tuple[float, list[int]]:
    began = time.perf_counter()
    r = http.post(f"{base}/v1/queue/claim", headers=auth, timeout=60, json={
        "request_uuid": str(uuid.uuid4()), "device_id": f"bench-{name}", "max_cases": n})
    elapsed = time.perf_counter() - began
    r.raise_for_status()
    return elapsed, [c["case_id"] for c in r.json()["cases"]]


def warm_session(base: str, auth: dict[str, str]) -> requests.Session:
    http = requests.Session()
    http.get(f"{base}/v1/sync/hello", headers=auth, timeout=30).raise_for_status()
    return http


def unloaded(base: str, auth: dict[str, str], name: str) -> tuple[list[float], float, list[int]]:
    http = warm_session(base, auth)
    claim(http, base, auth, name, PER_CLAIM)  # first claim: caches fill
    cpu_before = server_cpu_seconds(base)
    results = [claim(http, base, auth, name, PER_CLAIM) for _ in range(UNLOADED_CLAIMS)]
    cpu = (server_cpu_seconds(base) - cpu_before) / UNLOADED_CLAIMS
    return [t for t, _ in results], cpu, [c for _, got in results for c in got]


def burst(base: str, tokens: dict[str, dict[str, str]]) -> tuple[float, list[float], list[int]]:
    names = list(tokens)
    sessions = {n: warm_session(base, tokens[n]) for n in names}
    barrier = threading.Barrier(len(names) + 1)
    out: dict[str, tuple[float, list[int]]] = {}

    def one(name: str) -> None:
        barrier.wait(timeout=60)
        out[name] = claim(sessions[name], base, tokens[name], name, BURST_CASES)

    threads = [threading.Thread(target=one, args=(n,)) for n in names]
    for t in threads:
        t.start()
    barrier.wait(timeout=60)
    began = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return wall, [t for t, _ in out.values()], [c for _, got in out.values() for c in got]


def steady(base: str, tokens: dict[str, dict[str, str]], seconds: float
           ) -> tuple[list[float], list[int]]:
    """Each enumerator claims every STEADY_PERIOD_S, the starts spread evenly over the period."""
    names = list(tokens)
    sessions = {n: warm_session(base, tokens[n]) for n in names}
    gap = STEADY_PERIOD_S / len(names)
    schedule = sorted((i * gap + k * STEADY_PERIOD_S, n) for i, n in enumerate(names)
                      for k in range(int(seconds // STEADY_PERIOD_S) or 1))
    start = time.perf_counter()
    latencies: list[float] = []
    got: list[int] = []
    lock = threading.Lock()

    def at(offset: float, name: str) -> None:
        time.sleep(max(0.0, start + offset - time.perf_counter()))
        elapsed, ids = claim(sessions[name], base, tokens[name], name, PER_CLAIM)
        with lock:
            latencies.append(elapsed)
            got.extend(ids)

    with ThreadPoolExecutor(len(names)) as pool:  # one thread per enumerator: an open loop
        list(pool.map(lambda item: at(*item), schedule))
    return latencies, got


def statements_per_claim(url: str) -> tuple[int, int]:
    """SQL statements of one claim of 10 through the app in this process: with the token
    found in the worker's cache, and with the token checked in the database."""
    settings = bench_settings(url)
    ctx = AppContext.build(settings, engine=make_engine(url, 2))
    counted: list[str] = []
    event.listen(ctx.engine, "before_cursor_execute",
                 lambda *args: counted.append(args[2]))
    with TestClient(create_app(settings, ctx=ctx)) as client:
        login = client.post("/v1/auth/token", json={
            "username": "enum0", "password": PASSWORD, "device_id": "bench-stmts"})
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}

        def one() -> int:
            counted.clear()
            r = client.post("/v1/queue/claim", headers=auth, json={
                "request_uuid": str(uuid.uuid4()), "device_id": "bench-stmts",
                "max_cases": PER_CLAIM})
            assert r.status_code == 200 and len(r.json()["cases"]) == PER_CLAIM, r.text
            return len(counted)

        one()  # rules and caches read once per process
        cached = one()
        assert ctx.token_cache is not None
        ctx.token_cache.forget_all()
        checked = one()
    ctx.engine.dispose()
    return cached, checked


def double_claims(url: str, handed: list[int]) -> tuple[int, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        held = conn.scalar(select(func.count()).select_from(Case).where(Case.state == "held"))
        multi = conn.scalar(select(func.count()).select_from(
            select(Assignment.case_id).group_by(Assignment.case_id)
            .having(func.count() > 1).subquery()))
    engine.dispose()
    return len(handed) - len(set(handed)) + (multi or 0), held or 0


def ms(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def run(url: str, args: argparse.Namespace, say: Callable[[str], Any] = print) -> None:
    seed(url, enumerators=args.enumerators + 1, cases=args.cases)
    engine = make_engine(url)
    if args.routing:
        with engine.begin() as conn:
            mix_languages(conn)
    say(f"claims on {engine.dialect.name}, {args.cases:,} queued cases, {args.workers} "
        f"workers{', routing by 4 languages' if args.routing else ''}; {load_average()}")
    bare = bare_claims(engine, user_id=args.enumerators + 1, count=UNLOADED_CLAIMS) \
        if engine.dialect.name == "postgresql" else []
    engine.dispose()
    cached, checked = statements_per_claim(url)
    with server_process(url, workers=args.workers) as base:
        names = [f"enum{i}" for i in range(args.enumerators)]
        tokens = {n: token(base, n) for n in names}
        single, cpu, handed = unloaded(base, tokens[names[0]], names[0])
        p50 = ms(single, 50)
        say(f"claim of {PER_CLAIM}, unloaded: p50 {p50:.1f} ms (target <= 10), p95 "
            f"{ms(single, 95):.1f} ms; server CPU {cpu * 1000:.1f} ms per claim (target <= "
            f"{6 + 0.3 * PER_CLAIM:.1f}); SQL statements {cached} (token cached) / {checked} "
            f"(token checked)")
        if bare:
            bare_p50 = ms(bare, 50)
            say(f"bare SQL claim of {PER_CLAIM}: p50 {bare_p50:.2f} ms; product = "
                f"{bare_p50 / p50:.2f} x bare (target >= 0.25)")
        say(load_average())
        wall, burst_times, burst_got = burst(base, tokens)
        handed += burst_got
        say(f"09:00 burst: {len(names)} enumerators x {BURST_CASES} cases at once: all served "
            f"in {wall:.2f} s (target <= 1), slowest claim {max(burst_times) * 1000:.0f} ms, "
            f"{len(burst_got)} cases; {load_average()}")
        latencies, steady_got = steady(base, tokens, args.steady_seconds)
        handed += steady_got
        say(f"steady: {len(names)} enumerators claiming {PER_CLAIM} every "
            f"{STEADY_PERIOD_S:.0f} s for {args.steady_seconds:.0f} s: {len(latencies)} claims, "
            f"p50 {ms(latencies, 50):.1f} ms, p95 {ms(latencies, 95):.1f} ms (target <= 50); "
            f"{load_average()}")
    doubles, held = double_claims(url, handed)
    say(f"cases handed out {len(handed)}, distinct {len(set(handed))}, held in the database "
        f"{held - len(bare) * PER_CLAIM} (+{len(bare) * PER_CLAIM} by the bare claims); double "
        f"claims {doubles} (must be 0)")


def mix_languages(conn: Any) -> None:
    """Routing at work (issue 18): cases in four languages in turn (so the fresh pool's head
    holds every one), each enumerator speaking one or two of them, a fifth converting
    refusals."""
    conn.execute(text("UPDATE cases SET language = (ARRAY['dz', 'ne', 'tsj', 'en'])"
                      "[(id % 4) + 1]"))
    conn.execute(text("UPDATE users SET languages = CASE id % 3 "
                      "WHEN 0 THEN '[\"dz\"]' WHEN 1 THEN '[\"dz\", \"ne\"]' "
                      "ELSE '[\"tsj\", \"en\"]' END::json, "
                      "skills = CASE WHEN id % 5 = 0 THEN '[\"refusal_conversion\"]' "
                      "ELSE '[]' END::json"))
    conn.execute(text("ANALYZE cases"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--enumerators", type=int, default=50)
    parser.add_argument("--steady-seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--routing", action="store_true",
                        help="cases in 4 languages, enumerators speaking 1-2 (PostgreSQL)")
    args = parser.parse_args()
    if args.backend == "postgres" and not pg_available():
        raise SystemExit("no PostgreSQL at CATI_BENCH_PG_URL")
    if args.backend == "sqlite":
        args.workers = 1  # SQLite serves one worker process
    with tempfile.TemporaryDirectory() as folder, \
            fresh_database(args.backend, Path(folder)) as url:
        run(url, args)


if __name__ == "__main__":
    main()
