"""Export benchmark (DESIGN.md §6): 100,000 interviews to the analyst workbook, against bare
openpyxl write-only of the very same cells. Prints time, peak memory (maxrss of a fresh
subprocess) and the ratio bare / ours (target >= 0.7, <= 15 s, <= 500 MB).

    .venv/bin/python bench/export.py [--interviews 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

BENCH_NOW = datetime(2026, 6, 2, 4, 0, tzinfo=UTC)
CODES = ["1", "2", "3", "4", "5", "dk", "ref"]


def seed(url: str, n: int) -> None:
    """Cases, one primary interview and one attempt each, by Core bulk inserts."""
    from cati_app.core.protocol import Role
    from cati_app.core.questionnaire import default_questionnaire
    from cati_app.server.context import AppContext
    from cati_app.server.db import make_engine, transaction
    from cati_app.server.migrate import upgrade
    from cati_app.server.models import Case, ContactAttempt, InterviewVersion
    from cati_app.server.services.accounts import users
    from cati_app.server.services.catalogue import catalogue
    from cati_app.server.settings import Settings

    settings = Settings(database_url=url, argon2_time_cost=1, argon2_memory_kib=64)
    engine = make_engine(url)
    upgrade(engine)
    ctx = AppContext.build(settings, engine=engine)
    q = default_questionnaire()
    with transaction(ctx.sessions) as session:
        service = catalogue.add_service(session, code="CID", name="New CID card", at=BENCH_NOW,
                                        by=None)
        catalogue.add_questionnaire_version(session, q.model_dump(mode="json"), at=BENCH_NOW,
                                            by=None)
        user = users.create_user(session, ctx.hasher, username="karma", password="x" * 12,
                                 role=Role.enumerator, full_name="Karma", at=BENCH_NOW)
        service_id, user_id = service.id, user.id
    rnd = random.Random(5)
    indicators = [i.name for i in q.indicators()]
    with engine.begin() as conn:
        for start in range(0, n, 10_000):
            ids = range(start + 1, min(n, start + 10_000) + 1)
            conn.execute(insert(Case), [dict(
                id=i, service_id=service_id, respondent_name=f"R {i}", phone1="+97517123456",
                dzongkhag="Thimphu", office="Thimphu", date_availed=date(2026, 5, 1),
                state="closed", disposition="complete", disposition_code="1.1",
                created_at=BENCH_NOW, updated_at=BENCH_NOW) for i in ids])
            at = BENCH_NOW - timedelta(days=1)
            conn.execute(insert(InterviewVersion), [dict(
                version_uuid=str(uuid.uuid4()), item_uuid=str(uuid.uuid4()),
                interview_uuid=str(uuid.uuid4()), case_id=i, user_id=user_id, device_id="d",
                assignment_version=1, questionnaire_id="set", questionnaire_version=1,
                started_at=at, ended_at=at + timedelta(minutes=9), completion="complete",
                primary=True, received_at=at, answers={
                    "consent": "yes", "availed": "yes", "comment": "ok" if i % 10 else "",
                    "complaint": "no", **{k: rnd.choice(CODES) for k in indicators}})
                for i in ids])
            conn.execute(insert(ContactAttempt), [dict(
                item_uuid=str(uuid.uuid4()), case_id=i, user_id=user_id, device_id="d",
                assignment_version=1, started_at=at, ended_at=at + timedelta(minutes=10),
                outcome="complete", aapor_code="1.1", received_at=at) for i in ids])
    engine.dispose()


def run_export(url: str, out: str) -> dict[str, float]:
    from cati_app.reports.records import ExportFilters
    from cati_app.reports.workbook import write_workbook
    from cati_app.server.db import make_engine, make_read_session_factory, read_transaction
    from cati_app.server.services.reporting import exports

    engine = make_engine(url)
    started = time.perf_counter()
    # as the server does it: a read transaction, the streams closed at the end
    with read_transaction(make_read_session_factory(engine)) as session, \
            exports.gathered(session, ExportFilters(), BENCH_NOW) as data:
        write_workbook(Path(out), data)
    return {"seconds": time.perf_counter() - started}


def run_bare(source: str, out: str) -> dict[str, float]:
    """The same cells, read back beforehand (not timed), written with bare write-only."""
    from openpyxl import Workbook, load_workbook

    book = load_workbook(source, read_only=True)
    sheets = [(ws.title, list(ws.values)) for ws in book.worksheets]
    book.close()
    started = time.perf_counter()
    bare = Workbook(write_only=True)
    for title, rows in sheets:
        ws = bare.create_sheet(title)
        for row in rows:
            ws.append(row)
    bare.save(out)
    return {"seconds": time.perf_counter() - started}


def in_subprocess(*args: str) -> dict[str, float]:
    output = subprocess.run([sys.executable, __file__, *args], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, first, second = args.child
        figures = run_export(first, second) if kind == "export" else run_bare(first, second)
        figures["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        started = time.perf_counter()
        seed(url, args.interviews)
        print(f"seeded {args.interviews} interviews in {time.perf_counter() - started:.1f} s")
        ours = in_subprocess("--child", "export", url, f"{folder}/ours.xlsx")
        bare = in_subprocess("--child", "bare", f"{folder}/ours.xlsx", f"{folder}/bare.xlsx")
    ratio = bare["seconds"] / ours["seconds"]
    print(f"export:  {ours['seconds']:.2f} s, peak RSS {ours['max_rss_mb']:.0f} MB "
          f"(targets <= 15 s, <= 500 MB)")
    print(f"bare openpyxl write-only of the same cells: {bare['seconds']:.2f} s")
    print(f"ratio bare/export: {ratio:.2f} (target >= 0.7)")


if __name__ == "__main__":
    main()
