"""The supervisor dashboard and the case search at field scale on PostgreSQL (issue 14).

Builds 100,000 cases, 300,000 attempts and 100,000 interviews (DESIGN §6: every case
interviewed once) with COPY, scores the interviews with the migration's backfill (timed),
starts the real server with one worker, then times:
- the progress report (target <= 0.5 s) and a whole dashboard refresh: every request
  desktop/shared/dashboard.py load_dashboard makes (target <= 1 s);
- an enumerator's 20-change pull on the same worker, idle and while dashboard refreshes run
  back to back (target: p95 during <= 2 x p95 idle);
- the case browser's text search (GET /v1/cases?text=...) with the trigram indexes and, for the
  ratio, after dropping them (target <= 20 ms).

    .venv/bin/python bench/dashboard.py [--cases 100000] [--attempts 300000]
        [--interviews 60000] [--rounds 5] [--pulls 300] [--legacy]

``--legacy`` also times scoring every primary interview in Python once, as the report did
(twice) before the scores were stored.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import requests
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import fresh_database, pg_available, server_process  # noqa: E402

from cati_app.core import outcomes  # noqa: E402
from cati_app.core.protocol import Role  # noqa: E402
from cati_app.core.questionnaire import completion, default_questionnaire, score  # noqa: E402
from cati_app.server.db import make_engine, transaction  # noqa: E402
from cati_app.server.services.accounts import users  # noqa: E402
from cati_app.server.services.catalogue import catalogue  # noqa: E402
from cati_app.server.services.reporting.stored_scores import backfill  # noqa: E402

PASSWORD = "bench password 1"
NAMES = (
    "Karma", "Dorji", "Pema", "Tshering", "Sonam", "Tashi", "Kinley", "Ugyen", "Dechen",
    "Choki", "Wangmo", "Lhamo", "Namgay", "Yangzom", "Jigme", "Phuntsho", "Sangay", "Dawa",
    "Nima", "Passang", "Rinzin", "Tandin", "Thinley", "Zangmo", "Yeshey", "Chimi", "Deki",
    "Kuenga", "Norbu", "Gyeltshen", "Wangchuk", "Dema", "Pelden", "Tenzin", "Lhaden", "Samten",
    "Rigzin", "Leki", "Ngawang", "Dolkar"
)
DZONGKHAGS = (
    "Bumthang", "Chhukha", "Dagana", "Gasa", "Haa", "Lhuentse", "Mongar", "Paro", "Pemagatshel",
    "Punakha", "Samdrup", "Jongkhar", "Samtse", "Sarpang", "Thimphu", "Trashigang",
    "Trashiyangtse", "Trongsa", "Tsirang", "Wangdue", "Phodrang", "Zhemgang"
)
#: (term, what it is like): a full name, a common name part, an office, nothing
SEARCHES = (("karma dorji", "a full name"), ("wangmo", "a common name part"),
            ("gelephu", "an office"), ("zqx", "no match"))
INDICATORS = [i.name for i in default_questionnaire().indicators()]
Q = default_questionnaire()


# --- data ---------------------------------------------------------------------------------


def copy_rows(engine: Engine, table: str, columns: Sequence[str],
              rows: Iterable[Sequence[Any]]) -> None:
    """COPY ... FROM STDIN: the fastest bulk insert PostgreSQL has."""
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:  # type: ignore[attr-defined]
            quoted = ", ".join(f'"{c}"' for c in columns)
            with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def seed(engine: Engine, args: argparse.Namespace) -> dict[str, Any]:
    rng, now = Random(14), datetime.now(UTC)
    from argon2 import PasswordHasher
    from sqlalchemy.orm import sessionmaker

    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    with transaction(sessionmaker(engine)) as s:
        enumerators = [users.create_user(s, hasher, username=f"enum{i}", password=PASSWORD,
                                         role=Role.enumerator, full_name=f"Enumerator {i}",
                                         at=now).id for i in range(args.enumerators)]
        users.create_user(s, hasher, username="super", password=PASSWORD,
                          role=Role.supervisor, full_name="Supervisor", at=now)
        services = [catalogue.add_service(s, code=code, name=code, at=now, by=None).id
                    for code in ("CID", "MIMO")]
        catalogue.add_questionnaire_version(s, Q.model_dump(mode="json"), at=now, by=None)
    began = time.perf_counter()
    interviewed = rng.sample(range(1, args.cases + 1), args.interviews)
    answers = {case_id: _answers(rng) for case_id in interviewed}
    copy_rows(engine, "cases", CASE_COLUMNS,
              _cases(rng, now, args.cases, services, enumerators, answers))
    copy_rows(engine, "contact_attempts", ATTEMPT_COLUMNS,
              _attempts(rng, now, args.attempts, args.cases, enumerators, services))
    copy_rows(engine, "interview_versions", VERSION_COLUMNS,
              _versions(rng, now, answers, enumerators))
    with engine.connect() as conn:  # after the questionnaire's announcement
        last = conn.scalar(text("SELECT max(seq) FROM feed_changes WHERE user_id = :u"),
                           {"u": enumerators[0]}) or 0
    copy_rows(engine, "feed_changes", ("user_id", "seq", "type", "case_id",
                                       "assignment_version", "body", "created_at"),
              [(enumerators[0], last + i, "case_upsert", i, 1, json.dumps({"case_id": i}),
                now) for i in range(1, 21)])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE cases, contact_attempts, interview_versions, feed_changes"))
    print(f"seeded {args.cases:,} cases, {args.attempts:,} attempts, "
          f"{args.interviews:,} interviews with COPY in {time.perf_counter() - began:.1f} s")
    return {"answers": answers}


CASE_COLUMNS = ("service_id", "respondent_name", "phone1", "office", "dzongkhag",
                "date_availed", "language", "priority", "state", "pool", "holder_id",
                "assignment_version", "attempt_count", "next_phone_index", "disposition",
                "disposition_code", "plan_reason", "created_at", "updated_at")


def _cases(rng: Random, now: datetime, n: int, services: list[int], enumerators: list[int],
           answers: dict[int, dict[str, Any]]) -> Iterable[tuple[Any, ...]]:
    for case_id in range(1, n + 1):
        name = " ".join(rng.sample(NAMES, rng.choice((2, 2, 2, 3))))
        dzongkhag = rng.choice(DZONGKHAGS)
        office = f"{dzongkhag} RO" if rng.random() < 0.9 else "Gelephu thromde"
        held = case_id <= 20 or (case_id not in answers and rng.random() < 0.3)
        state, holder, disposition, code = "queued", None, None, None
        if case_id in answers:
            state, disposition = "closed", completion(Q, answers[case_id])
            code = outcomes.outcome(disposition).aapor_code
        elif held:
            state, holder = "held", enumerators[0] if case_id <= 20 else rng.choice(enumerators)
        yield (service_of(case_id, services), name, f"+97517{case_id:06d}", office, dzongkhag,
               date(2026, 5, 1) + timedelta(days=case_id % 28), "dz", 50, state, "fresh",
               holder, 1, 0, 0, disposition, code, "", now, now)


def service_of(case_id: int, services: list[int]) -> int:
    return services[case_id % len(services)]


ATTEMPT_COLUMNS = ("item_uuid", "case_id", "service_id", "user_id", "device_id",
                   "assignment_version", "started_at", "ended_at", "phone_index", "outcome",
                   "aapor_code", "note", "stale", "received_at", "dismissed", "time_flags")


def _attempts(rng: Random, now: datetime, n: int, cases: int, enumerators: list[int],
              services: list[int]) -> Iterable[tuple[Any, ...]]:
    kinds = [outcomes.outcome(k) for k in ("no_answer", "busy", "unreachable", "appointment")]
    for _ in range(n):
        at = now - timedelta(minutes=rng.randrange(20 * 24 * 60))
        kind = rng.choice(kinds)
        case_id = rng.randrange(1, cases + 1)
        yield (str(uuid.uuid4()), case_id, service_of(case_id, services),
               rng.choice(enumerators), "d", 1, at, at + timedelta(minutes=1), 0, kind.key,
               kind.aapor_code, "", False, at, False, "[]")


VERSION_COLUMNS = ("version_uuid", "item_uuid", "interview_uuid", "case_id", "user_id",
                   "device_id", "assignment_version", "questionnaire_id",
                   "questionnaire_version", "language", "started_at", "ended_at", "answers",
                   "completion", "problems", "primary", "stale", "review_status",
                   "review_comment", "received_at")


def _answers(rng: Random) -> dict[str, Any]:
    answers: dict[str, Any] = {"consent": "yes", "availed": "yes" if rng.random() < 0.97
                               else "no", "comment": "", "complaint": "no"}
    answered = 10 if rng.random() < 0.8 else rng.randrange(3, 10)
    for name in rng.sample(INDICATORS, answered):
        answers[name] = rng.choice(("1", "2", "3", "4", "4", "5", "5", "dk", "ref"))
    return answers


def _versions(rng: Random, now: datetime, answers: dict[int, dict[str, Any]],
              enumerators: list[int]) -> Iterable[tuple[Any, ...]]:
    for case_id, given in answers.items():
        at = now - timedelta(minutes=rng.randrange(20 * 24 * 60))
        yield (str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()), case_id,
               rng.choice(enumerators), "d", 1, Q.id, Q.version, "en", at,
               at + timedelta(minutes=12), json.dumps(given), completion(Q, given), "[]", True,
               False, "pending", "", at)


# --- timing -------------------------------------------------------------------------------


def timed(call: Callable[[], Any], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def login(base: str, username: str) -> dict[str, str]:
    r = requests.post(f"{base}/v1/auth/token", timeout=30, json={
        "username": username, "password": PASSWORD, "device_id": f"bench-{username}"})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class Dashboard:
    """What desktop/shared/dashboard.py load_dashboard asks for, in its order."""

    def __init__(self, base: str, auth: dict[str, str]) -> None:
        self.base, self.auth, self.http = base, auth, requests.Session()

    def get(self, path: str, **params: str | int) -> Any:
        r = self.http.get(f"{self.base}{path}", params=params, headers=self.auth, timeout=120)
        r.raise_for_status()
        return r.json()

    def progress(self) -> Any:
        return self.get("/v1/reports/progress")

    def refresh(self) -> None:
        report = self.progress()
        self.get("/v1/reports/response-rates")
        for service in report["services"]:
            self.get("/v1/reports/response-rates", service=service["service_code"])


def pull_latencies(base: str, auth: dict[str, str], n: int) -> list[float]:
    http = requests.Session()

    def pull() -> None:
        r = http.get(f"{base}/v1/sync/pull", params={"cursor": "0", "limit": "20"},
                     headers=auth, timeout=60)
        r.raise_for_status()
        assert len(r.json()["changes"]) == 20

    pull()
    return timed(pull, n)


def concurrent_pulls(base: str, board: Dashboard, auth: dict[str, str], n: int
                     ) -> tuple[list[float], int]:
    """Pulls while dashboard refreshes run back to back on the same worker."""
    stop, refreshes = threading.Event(), [0]

    def keep_refreshing() -> None:
        while not stop.is_set():
            board.refresh()
            refreshes[0] += 1

    worker = threading.Thread(target=keep_refreshing)
    worker.start()
    try:
        time.sleep(0.2)  # a report is under way
        return pull_latencies(base, auth, n), refreshes[0]
    finally:
        stop.set()
        worker.join()


def searches(board: Dashboard, rounds: int) -> dict[str, tuple[float, int]]:
    found = {}
    for term, _what in SEARCHES:
        total = board.get("/v1/cases", text=term, limit=100)["total"]
        found[term] = (statistics.median(timed(
            lambda term=term: board.get("/v1/cases", text=term, limit=100),  # type: ignore[misc]
            rounds)), total)
    return found


# --- the run ------------------------------------------------------------------------------


def run(url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url)
    data = seed(engine, args)
    began = time.perf_counter()
    with engine.begin() as conn:
        scored = backfill(conn)
    took = time.perf_counter() - began
    print(f"backfill (migration 0006_h6): {scored:,} interviews scored in {took:.1f} s "
          f"({scored / took:,.0f} per s)")
    if args.legacy:
        began = time.perf_counter()
        for given in data["answers"].values():
            score(Q, given)
        print(f"old path, Python re-scoring: {time.perf_counter() - began:.1f} s per pass "
              "(the old report made two)")
    with server_process(url, workers=1) as base:
        board, puller = Dashboard(base, login(base, "super")), login(base, "enum0")
        board.refresh()  # warm: connections, parsed questionnaire
        walls = {"progress": timed(board.progress, args.rounds),
                 "refresh": timed(board.refresh, args.rounds),
                 "floor": timed(lambda: board.get("/v1/cases", text="12345"), args.rounds * 4)}
        idle = pull_latencies(base, puller, args.pulls)
        during, refreshes = concurrent_pulls(base, board, puller, args.pulls)
        found = searches(board, args.rounds * 4)
    cpu = cpu_costs(engine, args.rounds, with_reports=True)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_cases_search_trgm"))
    with server_process(url, workers=1) as base:
        without = searches(Dashboard(base, login(base, "super")), args.rounds)
    cpu_without = cpu_costs(engine, 2, with_reports=False)
    report(args, walls, (idle, during, refreshes), (found, without), (cpu, cpu_without))


def backend_cpu(pid: int) -> float | None:
    """CPU seconds a local PostgreSQL backend has used (None when it is not on this host)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_costs(engine: Engine, rounds: int, *, with_reports: bool
              ) -> dict[str, tuple[float | None, float]]:
    """CPU seconds per operation, (database, Python), run in this process on one connection
    with parallel query off: unlike wall times, they do not grow with the load of the other
    processes on the machine. Python's share leaves out HTTP and JSON."""
    from sqlalchemy.orm import Session

    from cati_app.server.services.cases.case_views import CaseFilter, list_cases
    from cati_app.server.services.reporting import reporting

    now = datetime.now(UTC)

    def refresh(session: Session) -> None:
        reporting.progress(session, now)
        for code in (None, "CID", "MIMO"):
            reporting.response_rates(session, service=code, date_from=None, date_to=None)

    ops: dict[str, tuple[Callable[[Session], Any], int]] = {
        f"search {term!r}": (lambda s, term=term: list_cases(  # type: ignore[misc]
            s, CaseFilter(text=term), limit=100, offset=0), rounds * 10)
        for term, _ in SEARCHES}
    if with_reports:
        ops = {"progress": (lambda s: reporting.progress(s, now), rounds),
               "dashboard refresh": (refresh, rounds), **ops}
    costs: dict[str, tuple[float | None, float]] = {}
    with engine.connect() as conn:
        conn.exec_driver_sql("SET max_parallel_workers_per_gather = 0")
        pid = conn.scalar(text("SELECT pg_backend_pid()"))
        with Session(bind=conn) as session:
            for name, (op, n) in ops.items():
                op(session)  # warm
                db, py = backend_cpu(pid), time.process_time()
                for _ in range(n):
                    op(session)
                after = backend_cpu(pid)
                costs[name] = (None if db is None or after is None else (after - db) / n,
                               (time.process_time() - py) / n)
            session.rollback()
    return costs


def cpu_text(cost: tuple[float | None, float]) -> str:
    db, py = cost
    total = "" if db is None else f" = {ms(db + py)}"
    return f"CPU database {'n/a' if db is None else ms(db)} + Python {ms(py)}{total}"


def report(args: argparse.Namespace, walls: dict[str, list[float]],
           pulls: tuple[list[float], list[float], int],
           search: tuple[dict[str, tuple[float, int]], dict[str, tuple[float, int]]],
           cpu: tuple[dict[str, Any], dict[str, Any]]) -> None:
    (idle, during, refreshes), (found, without) = pulls, search
    print(f"\nPostgreSQL, 1 worker: {args.cases:,} cases, {args.attempts:,} attempts, "
          f"{args.interviews:,} interviews; wall times are medians of {args.rounds} rounds")
    print(f"progress report: wall {ms(statistics.median(walls['progress']))} (target <= 500 "
          f"ms); {cpu_text(cpu[0]['progress'])}")
    print(f"dashboard refresh (progress, rates overall and per service): wall "
          f"{ms(statistics.median(walls['refresh']))} (target <= 1000 ms); "
          f"{cpu_text(cpu[0]['dashboard refresh'])}")
    ratio = p95(during) / p95(idle)
    print(f"20-change pull p95: idle {ms(p95(idle))}, during back-to-back dashboard refreshes "
          f"{ms(p95(during))} ({refreshes} refreshes meanwhile); ratio {ratio:.2f} "
          f"(target <= 2.0); p50 {ms(statistics.median(idle))} -> "
          f"{ms(statistics.median(during))}")
    floor = statistics.median(walls["floor"])
    print(f"case search, floor (the same request finding a case by id): wall {ms(floor)}")
    for term, what in SEARCHES:
        (with_index, total), (plain, _) = found[term], without[term]
        print(f"name search {term!r} ({what}, {total:,} matches): wall {ms(with_index)} with "
              f"the trigram index, {ms(plain)} without ({plain / with_index:.1f}x) (target <= "
              f"20 ms); {cpu_text(cpu[0][f'search {term!r}'])}; without the index "
              f"{cpu_text(cpu[1][f'search {term!r}'])}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--attempts", type=int, default=300_000)
    parser.add_argument("--interviews", type=int, default=100_000)
    parser.add_argument("--enumerators", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pulls", type=int, default=300)
    parser.add_argument("--legacy", action="store_true")
    args = parser.parse_args()
    if not pg_available():
        raise SystemExit("no PostgreSQL at CATI_BENCH_PG_URL")
    with tempfile.TemporaryDirectory() as folder, \
            fresh_database("postgres", Path(folder)) as url:
        run(url, args)


if __name__ == "__main__":
    main()
