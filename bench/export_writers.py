"""Side by side (issue 14): the xlsx writers on the registry against the product's
``xlsx_stream``, on the same cells (rows shaped like the Raw data sheet: ids, codes, dates,
date-times, Likert answers, scores). Each writer runs in a fresh subprocess; prints CPU seconds
(steady on a shared machine), cells per CPU second, peak memory and the load average.

Writers not installed are skipped with a note (only openpyxl is a project dependency):

    pip install --target /tmp/writers xlsxwriter pyexcelerate rustpy-xlsxwriter
    PYTHONPATH=.:/tmp/writers .venv/bin/python bench/export_writers.py [--rows 20000]
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
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

CODES = ["1", "2", "3", "4", "5", "dk", "ref"]
TARGET = 400_000  # cells per second per core (DESIGN.md §6)


def rows(n: int) -> Iterator[list[Any]]:
    rnd = random.Random(1)
    at = datetime(2026, 5, 1, 9, 0)
    for i in range(n):
        answers = [int(c) if c.isdigit() else c for c in (rnd.choice(CODES) for _ in range(22))]
        yield [i + 1, "CID", "Thimphu", "Thimphu", date(2026, 5, 1), "karma", at,
               at + timedelta(minutes=9), 9.0, "en", "set", 1, "complete", "yes", "yes",
               "ok" if i % 10 else None, "no", *answers, 3.2, 3.5, 2.9, 4.1, 3.3, 3.4, 60.0]


def openpyxl_write_only(data: list[list[Any]], out: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet("Raw data")
    for row in data:
        ws.append(row)
    book.save(out)


def xlsxwriter_constant_memory(data: list[list[Any]], out: str) -> None:
    import xlsxwriter  # type: ignore[import-not-found]

    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False,
                                     "default_date_format": "yyyy-mm-dd"})
    ws = book.add_worksheet("Raw data")
    for number, row in enumerate(data):
        ws.write_row(number, 0, row)
    book.close()


def pyexcelerate(data: list[list[Any]], out: str) -> None:
    from pyexcelerate import Workbook  # type: ignore[import-not-found]

    book = Workbook()
    book.new_sheet("Raw data", data=data)
    book.save(out)


def rustpy_xlsxwriter(data: list[list[Any]], out: str) -> None:
    import rustpy_xlsxwriter as rust  # type: ignore[import-not-found]

    header = [f"c{i}" for i in range(len(data[0]))]
    rust.write_worksheet([dict(zip(header, row, strict=True)) for row in data], out,
                         sheet_name="Raw data")


def xlsx_stream(data: list[list[Any]], out: str) -> None:
    """The product's writer: openpyxl builds the workbook, the rows are streamed and spliced,
    every text cleaned and masked (the export without personal data)."""
    from openpyxl import Workbook

    from cati_app.reports import styles
    from cati_app.reports.xlsx_stream import splice

    book = Workbook(write_only=True)
    sheet = styles.TextSafeSheet(book.create_sheet("Raw data"), mask_phones=True)
    stream = styles.streamed(sheet, first_row=1)
    try:
        for row in data:
            stream.append(row)
        book.save(out)
        splice(Path(out), {"Raw data": stream})
    finally:
        stream.discard()


WRITERS: dict[str, Callable[[list[list[Any]], str], None]] = {
    "openpyxl write-only": openpyxl_write_only,
    "XlsxWriter constant_memory": xlsxwriter_constant_memory,
    "PyExcelerate": pyexcelerate,
    "rustpy-xlsxwriter": rustpy_xlsxwriter,
    "xlsx_stream (the product)": xlsx_stream,
}


def child(name: str, n: int, out: str) -> None:
    data = list(rows(n))
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        WRITERS[name](data, out)
        figures = {"seconds": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
    except ImportError as exc:
        figures = {"missing": str(exc)}  # type: ignore[dict-item]
    figures["cells"] = sum(v is not None for row in data for v in row)
    figures["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.rows, args.child[1])
        return
    print(f"{args.rows} rows; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    base = None
    with tempfile.TemporaryDirectory() as folder:
        for name in WRITERS:
            out = f"{folder}/out.xlsx"
            result = subprocess.run([sys.executable, __file__, "--rows", str(args.rows),
                                     "--child", name, out], check=True, capture_output=True,
                                    text=True).stdout.splitlines()[-1]
            figures = json.loads(result)
            if "missing" in figures:
                print(f"{name:28s} not installed ({figures['missing']})")
                continue
            base = base or figures["cpu"]
            rate = figures["cells"] / figures["cpu"]
            print(f"{name:28s} {figures['cpu']:6.2f} s CPU ({figures['seconds']:6.2f} s wall) "
                  f"{rate / 1e3:6.0f}k cells/CPU s, {base / figures['cpu']:5.1f}x openpyxl, "
                  f"{Path(out).stat().st_size / 1e6:5.1f} MB, peak RSS {figures['rss']:.0f} MB")
    print(f"target >= {TARGET / 1e3:.0f}k cells per second per core; load average now "
          f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
