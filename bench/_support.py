"""Shared set-up for the benchmarks: a database, a real server process, seeded cases."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine, insert, text

from cati_app.core.protocol import Role
from cati_app.core.questionnaire import default_questionnaire
from cati_app.server.db import make_engine, transaction
from cati_app.server.migrate import upgrade
from cati_app.server.models import Assignment, Case
from cati_app.server.services.accounts import users
from cati_app.server.services.catalogue import catalogue
from cati_app.server.settings import Settings

PASSWORD = "bench password 1"
PG_URL = os.environ.get("CATI_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pg_available() -> bool:
    try:
        with create_engine(PG_URL).connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file, or a new schema in PostgreSQL."""
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}"
        upgrade(make_engine(url))
        yield url
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    try:
        upgrade(make_engine(url))
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


#: the benches measure claims, not the per-enumerator limits: 50 enumerators claiming in tight
#: rounds from 100,000 cases would hit the production caps (issue 11) at once
BENCH_LIMITS = {"max_held_cases": 100_000, "claim_cases_per_hour": 1_000_000,
                "claims_per_minute": 100_000}


def bench_settings(url: str) -> Settings:
    return Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=64, pool_size=20,
                    max_claim_cases=500, **BENCH_LIMITS)  # type: ignore[arg-type]


def seed(url: str, *, enumerators: int, cases: int, held_by_first: bool = False) -> None:
    engine = make_engine(url)
    settings = bench_settings(url)
    from argon2 import PasswordHasher

    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    now = datetime.now(UTC)
    from sqlalchemy.orm import sessionmaker

    sessions = sessionmaker(engine)
    with transaction(sessions) as s:
        for i in range(enumerators):
            users.create_user(s, hasher, username=f"enum{i}", password=PASSWORD,
                              role=Role.enumerator, full_name=f"Enumerator {i}", at=now)
        service = catalogue.add_service(s, code="CID", name="New CID card", at=now, by=None)
        catalogue.add_questionnaire_version(s, default_questionnaire().model_dump(mode="json"),
                                            at=now, by=None)
        service_id = service.id
    rows = [dict(service_id=service_id, respondent_name=f"R {i}",
                 phone1=f"+97517{i % 1000000:06d}", office="Thimphu", dzongkhag="Thimphu",
                 date_availed=date(2026, 5, 1) + timedelta(days=i % 28), language="dz",
                 priority=50, state="held" if held_by_first else "queued", pool="fresh",
                 holder_id=1 if held_by_first else None,
                 assignment_version=1 if held_by_first else 0, attempt_count=0,
                 next_phone_index=0, created_at=now, updated_at=now) for i in range(cases)]
    with transaction(sessions) as s:
        for start in range(0, cases, 5000):
            s.execute(insert(Case), rows[start:start + 5000])
        if held_by_first:
            s.execute(insert(Assignment), [
                dict(case_id=i + 1, version=1, user_id=1, started_at=now)
                for i in range(cases)])
        if engine.dialect.name == "postgresql":
            s.execute(text("ANALYZE cases"))  # as the sample import does
    engine.dispose()
    del settings


#: the process id of each running bench server, by its base URL (for server_cpu_seconds)
SERVER_PIDS: dict[str, int] = {}


def server_cpu_seconds(base: str) -> float:
    """CPU time (user + system) used so far by the server at ``base`` and its workers."""
    parent = SERVER_PIDS[base]
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        pid, ppid = int(entry.name), int(fields[1])
        if pid == parent or ppid == parent:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def load_average() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


@contextmanager
def server_process(url: str, workers: int = 1) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "CATI_DATABASE_URL": url, "CATI_ARGON2_TIME_COST": "1",
           "CATI_ARGON2_MEMORY_KIB": "64", "CATI_POOL_SIZE": "20", "CATI_MAX_CLAIM_CASES": "500",
           **{f"CATI_{k.upper()}": str(v) for k, v in BENCH_LIMITS.items()}}
    # the documented command (cati-server serve), not bare uvicorn: with --workers N bare
    # uvicorn leaves Nagle's algorithm on and every kept-alive request waits ~40 ms
    proc = subprocess.Popen(
        [sys.executable, "-m", "cati_app.server.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-format", "json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    SERVER_PIDS[base] = proc.pid
    try:
        deadline = time.monotonic() + 120  # workers import the whole server: slow on a busy host
        while True:
            try:
                requests.get(f"{base}/docs", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)
        if workers > 1:
            time.sleep(3)  # every worker up before a clock starts
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def token(base: str, username: str) -> dict[str, str]:
    r = requests.post(f"{base}/v1/auth/token", json={
        "username": username, "password": PASSWORD, "device_id": f"bench-{username}"},
        timeout=30)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
