"""Sampling frames for the tests of issue 15: rows as records, as CSV, and imported."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.services.cases.sample_readers import sheet_from_records
from cati_app.server.services.sampling.frames import COLUMNS, import_frame

SALT = "test-salt-not-for-production"


def phone(i: int) -> str:
    """A distinct valid Bhutanese mobile per i, in E.164."""
    return f"+97517{200000 + i:06d}"


def frame_records(layout: dict[tuple[str, str], int], *, day: date = date(2026, 5, 10),
                  start: int = 0) -> list[dict[str, Any]]:
    """``layout``: (service code, office) → rows; every row a distinct person."""
    records = []
    i = start
    for (service, office), count in layout.items():
        for _ in range(count):
            records.append({"service": service, "name": f"Person {i}", "phone": phone(i),
                            "office": office, "dzongkhag": "Thimphu", "date_availed": day,
                            "language": "en"})
            i += 1
    return records


def frame_csv(records: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue().encode()


def import_records(ctx: AppContext, records: list[dict[str, Any]], *, name: str = "frame",
                   **options: Any) -> int:
    headers = [c for c in COLUMNS if any(c in r for r in records)]
    with transaction(ctx.sessions) as session:
        report = import_frame(session, sheet_from_records(records, headers, name=name),
                              name=name, at=ctx.clock.now(), by=None,
                              salt=options.pop("salt", SALT), **options)
        assert report.frame_id is not None
        return report.frame_id
