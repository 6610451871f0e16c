"""Export benchmark (DESIGN.md §6, issue 14): 100,000 interviews to the analyst workbook, each
part in a fresh subprocess (peak memory = its maxrss), side by side with

- the database-and-scoring part alone (the same queries and scoring, nothing written),
- the bare write of the very same cells with the product's writer (``xlsx_stream`` rows
  spliced into an openpyxl workbook), and with bare openpyxl write-only (the old writer).

Prints seconds, cells per second, the ratios, peak memory, the targets (<= 15 s, <= 500 MB,
>= 400k cells/s per core) and the load average.

    .venv/bin/python bench/export.py [--interviews 100000]
"""

from __future__ import annotations

import argparse
import json
import os
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
        user = users.create_user(session, ctx.hasher, username="karma", password="bench-export-Pw9",
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


def _started() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _elapsed(started: tuple[float, float]) -> dict[str, float]:
    """Wall and CPU seconds since ``started``: CPU seconds are per core, and far steadier than
    wall time on a shared machine."""
    wall, cpu = started
    return {"seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}


def run_export(url: str, out: str) -> dict[str, float]:
    from cati_app.reports.records import ExportFilters
    from cati_app.reports.workbook import write_workbook
    from cati_app.server.db import make_engine, make_read_session_factory, read_transaction
    from cati_app.server.services.reporting import exports

    engine = make_engine(url)
    started = _started()
    # as the server does it: a read transaction, the streams closed at the end
    with read_transaction(make_read_session_factory(engine)) as session, \
            exports.gathered(session, ExportFilters(), BENCH_NOW) as data:
        write_workbook(Path(out), data)
    return _elapsed(started)


def run_read_and_score(url: str) -> dict[str, float]:
    """The database-and-scoring part alone: the same queries, every interview scored and its
    Raw data row built, every attempt read, nothing written."""
    from cati_app.reports.raw import RawTable
    from cati_app.reports.records import ExportFilters
    from cati_app.server.db import make_engine, make_read_session_factory, read_transaction
    from cati_app.server.services.reporting import exports

    engine = make_engine(url)
    started = _started()
    with read_transaction(make_read_session_factory(engine)) as session, \
            exports.gathered(session, ExportFilters(), BENCH_NOW) as data:
        table = RawTable(data.questionnaires, include_pii=False)
        for _row in table.rows(iter(data.interviews)):
            pass
        for _attempt in data.attempts:
            pass
    return _elapsed(started)


def _cells(source: str) -> list[tuple[str, list[tuple[object, ...]]]]:
    from openpyxl import load_workbook

    book = load_workbook(source, read_only=True)
    sheets = [(ws.title, list(ws.values)) for ws in book.worksheets]
    book.close()
    return sheets


def run_bare_openpyxl(source: str, out: str) -> dict[str, float]:
    """The same cells, read back beforehand (not timed), written with bare write-only
    openpyxl (the product's writer before issue 14, and still its writer of the small
    sheets)."""
    from openpyxl import Workbook

    sheets = _cells(source)
    started = _started()
    bare = Workbook(write_only=True)
    for title, rows in sheets:
        ws = bare.create_sheet(title)
        for row in rows:
            ws.append(row)
    bare.save(out)
    cells = sum(1 for _t, rows in sheets for row in rows for v in row if v is not None)
    return {**_elapsed(started), "cells": cells}


def run_bare_stream(source: str, out: str) -> dict[str, float]:
    """The same cells written the way the product writes them now, bare: every row after
    the header through ``xlsx_stream`` (no scoring, no database), spliced into an openpyxl
    workbook."""
    from openpyxl import Workbook

    from cati_app.reports.xlsx_stream import StreamedRows, splice

    sheets = _cells(source)
    started = _started()
    bare = Workbook(write_only=True)
    streams = {}
    for title, rows in sheets:
        ws = bare.create_sheet(title)
        if rows:
            ws.append(rows[0])
        stream = streams[title] = StreamedRows(ws, first_row=2, mask_phones=False,
                                               date_format="yyyy-mm-dd",
                                               datetime_format="yyyy-mm-dd hh:mm")
        for row in rows[1:]:
            stream.append(row)
    bare.save(out)
    splice(Path(out), streams)
    for stream in streams.values():
        stream.discard()
    return _elapsed(started)


def in_subprocess(*args: str) -> dict[str, float]:
    output = subprocess.run([sys.executable, __file__, *args], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[-1])


def child(kind: str, first: str, second: str) -> None:
    runs = {"export": run_export, "bare-openpyxl": run_bare_openpyxl,
            "bare-stream": run_bare_stream,
            "read-and-score": lambda url, _out: run_read_and_score(url)}
    figures = runs[kind](first, second)
    figures["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interviews", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        started = time.perf_counter()
        seed(url, args.interviews)
        print(f"seeded {args.interviews} interviews in {time.perf_counter() - started:.1f} s; "
              f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        ours = in_subprocess("--child", "export", url, f"{folder}/ours.xlsx")
        size_mb = Path(f"{folder}/ours.xlsx").stat().st_size / 1e6
        reading = in_subprocess("--child", "read-and-score", url, "-")
        stream = in_subprocess("--child", "bare-stream", f"{folder}/ours.xlsx",
                               f"{folder}/stream.xlsx")
        bare = in_subprocess("--child", "bare-openpyxl", f"{folder}/ours.xlsx",
                             f"{folder}/bare.xlsx")
    cells = bare["cells"]
    scale = 100_000 / args.interviews

    def line(figures: dict[str, float]) -> str:
        return (f"{figures['seconds']:.2f} s wall, {figures['cpu_seconds']:.2f} s CPU "
                f"({cells / figures['cpu_seconds'] / 1e3:.0f}k cells per CPU second)")

    print(f"export: {line(ours)} for {cells:,.0f} cells; file {size_mb:.1f} MB, "
          f"peak RSS {ours['max_rss_mb']:.0f} MB")
    print(f"  database and scoring alone: {line(reading)}")
    print(f"bare write of the same cells, product's writer (xlsx_stream + openpyxl): "
          f"{line(stream)}")
    print(f"bare openpyxl write-only of the same cells: {line(bare)}")
    print(f"ratio bare product writer / export (CPU): "
          f"{stream['cpu_seconds'] / ours['cpu_seconds']:.2f}; bare openpyxl / export: "
          f"{bare['cpu_seconds'] / ours['cpu_seconds']:.2f}")
    print(f"scaled to 100,000 interviews: ~{ours['cpu_seconds'] * scale:.1f} s of one core "
          f"(targets: <= 15 s, <= 500 MB, >= 400k cells per second per core)")
    print(f"load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (wall times "
          f"stretch with load; CPU seconds much less)")

if __name__ == "__main__":
    main()
