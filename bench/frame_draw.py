"""Sampling frames (issue 15): a 100,000-row frame workbook through the real frame import
(reading, phone validation, ID hashing, bulk insert), compared with bare openpyxl reading plus
phonenumbers parsing of the same file (ratio bare / import, as bench/import_sample.py; target
>= 0.5); then a draw of 2,000 from it (eligibility, allocation, selection, units inserted) and
the release of its first replicate, timed.

    .venv/bin/python bench/frame_draw.py [--rows 100000] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import os
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

from cati_app.core.protocol_sampling import DrawRequest  # noqa: E402
from cati_app.server.db import make_engine, make_session_factory, transaction  # noqa: E402
from cati_app.server.services.cases.sample_readers import read_whole  # noqa: E402
from cati_app.server.services.catalogue import catalogue  # noqa: E402
from cati_app.server.services.sampling import draws, frames, replicates  # noqa: E402

HEADERS = ["Service", "Name", "Phone", "Phone 2", "Office", "Dzongkhag", "Date availed",
           "Language", "National ID"]
OFFICES = [f"Office {i}" for i in range(12)]


def write_workbook(path: Path, rows: int) -> None:
    rng = random.Random(15)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("frame")
    sheet.append(HEADERS)
    for i in range(rows):
        sheet.append([rng.choice(["CID", "MIMO"]), f"Respondent {i}",
                      f"{rng.choice(['17', '77'])}{i:06d}",
                      f"+975 17 {rng.randrange(10**6):06d}" if i % 5 == 0 else None,
                      rng.choice(OFFICES), "Thimphu", date(2026, 4, 1) + timedelta(days=i % 30),
                      rng.choice(["dz", "en"]), f"{11500000000 + i}"])
    book.save(path)


def bare(path: Path) -> float:
    began = time.perf_counter()
    book = load_workbook(path, read_only=True, data_only=True)
    for row in book.active.iter_rows(min_row=2, values_only=True):
        for cell in (row[2], row[3]):
            if cell:
                phonenumbers.parse(str(cell), "BT")
    book.close()
    return time.perf_counter() - began


def run(path: Path, folder: Path, backend: str) -> dict[str, float]:
    with fresh_database(backend, folder) as url:
        sessions = make_session_factory(make_engine(url))
        now = datetime.now(UTC)
        with transaction(sessions) as session:
            for code in ("CID", "MIMO"):
                catalogue.add_service(session, code=code, name=code, at=now, by=None)
        times: dict[str, float] = {}
        began = time.perf_counter()
        with read_whole(path) as sheet, transaction(sessions) as session:
            report = frames.import_frame(session, sheet, name="bench", at=now, by=None,
                                         salt="bench-salt")
        times["import"] = time.perf_counter() - began
        assert report.frame_id is not None and report.accepted == report.rows_read
        began = time.perf_counter()
        with transaction(sessions) as session:
            made = draws.make_draw(session, report.frame_id, DrawRequest(
                sample_size=2000, replicates=4, seed=1), at=now, by=None,
                window=timedelta(days=90))
        times["draw"] = time.perf_counter() - began
        began = time.perf_counter()
        with transaction(sessions) as session:
            replicates.release(session, made.id, at=now, by=None)
        times["release"] = time.perf_counter() - began
        return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "frame.xlsx"
        write_workbook(path, args.rows)
        bare_time = bare(path)
        times = run(path, folder, args.backend)
    print(f"frame {args.backend} rows={args.rows} import={times['import']:.2f}s "
          f"bare openpyxl+phonenumbers={bare_time:.2f}s ratio={bare_time / times['import']:.2f} "
          f"(target >= 0.5); draw of 2000={times['draw']:.2f}s; release of 500="
          f"{times['release']:.2f}s; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
