"""Sample import (DESIGN.md §6): a 100,000-row workbook through the real import (reading,
header matching, phone validation, duplicates, bulk insert) against bare openpyxl reading plus
phonenumbers parsing of the same file. Prints both times and the ratio bare / import
(target >= 0.5).

    .venv/bin/python bench/import_sample.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import phonenumbers
from openpyxl import Workbook, load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import fresh_database  # noqa: E402

from cati_app.server.db import make_engine, make_session_factory, transaction  # noqa: E402
from cati_app.server.services import catalogue  # noqa: E402
from cati_app.server.services.cases.sample_import import import_sample  # noqa: E402

HEADERS = ["Name", "Phone", "Phone 2", "Office", "Dzongkhag", "Date availed", "Language",
           "Priority"]


def write_workbook(path: Path, rows: int) -> None:
    rng = random.Random(975)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("sample")
    sheet.append(HEADERS)
    for i in range(rows):
        prefix = rng.choice(["17", "77", "16"])
        sheet.append([f"Respondent {i}", f"{prefix}{i:06d}",
                      f"+975 17 {rng.randrange(10**6):06d}" if i % 5 == 0 else None,
                      "Thimphu Dzongkhag Office", "Thimphu",
                      date(2026, 5, 1) + timedelta(days=i % 28), rng.choice(["dz", "en"]),
                      rng.randrange(101)])
    book.save(path)


def bare(path: Path) -> float:
    began = time.perf_counter()
    book = load_workbook(path, read_only=True, data_only=True)
    for row in book.active.iter_rows(min_row=2, values_only=True):
        for cell in (row[1], row[2]):
            if cell:
                phonenumbers.parse(str(cell), "BT")
    book.close()
    return time.perf_counter() - began


def through_import(path: Path, folder: Path) -> tuple[float, int]:
    with fresh_database("sqlite", folder) as url:
        sessions = make_session_factory(make_engine(url))
        now = datetime.now(UTC)
        with transaction(sessions) as session:
            catalogue.add_service(session, code="CID", name="New CID card", at=now, by=None)
        began = time.perf_counter()
        with transaction(sessions) as session:
            report = import_sample(session, path, service_code="CID", at=now)
        return time.perf_counter() - began, report.imported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "sample.xlsx"
        write_workbook(path, args.rows)
        bare_time = bare(path)
        ours, imported = through_import(path, folder)
    print(f"import sqlite rows={args.rows} imported={imported} import={ours:.2f}s "
          f"bare openpyxl+phonenumbers={bare_time:.2f}s ratio={bare_time / ours:.2f} "
          "(target >= 0.5)")


if __name__ == "__main__":
    main()
