"""The workbook's Sample sheet (issue 15; both backends): the sample report of each draw, read
back with openpyxl."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import openpyxl
from sqlalchemy import select

from cati_app.core.protocol_sampling import DrawRequest
from cati_app.reports.records import ExportFilters
from cati_app.reports.sample_sheet import NO_DRAWS, TITLES
from cati_app.reports.workbook import write_workbook
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import Case
from cati_app.server.services.cases import case_plan
from cati_app.server.services.reporting import exports
from cati_app.server.services.sampling import draws, replicates
from tests.support.factories import seed_service
from tests.support.frames import frame_records, import_records


def _export(ctx: AppContext, path: Path, filters: ExportFilters) -> list[dict[str, object]]:
    with ctx.read() as session, exports.gathered(session, filters, ctx.clock.now()) as data:
        write_workbook(path, data)
    sheet = openpyxl.load_workbook(path)["Sample"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == TITLES
    return [dict(zip(TITLES, row, strict=False)) for row in rows[1:]]


def test_the_sample_sheet_shows_each_stratum_and_the_draws_totals(
        ctx: AppContext, tmp_path: Path) -> None:
    seed_service(ctx, "CID")
    seed_service(ctx, "MIMO")
    assert _export(ctx, tmp_path / "empty.xlsx", ExportFilters())[1]["Draw"] == NO_DRAWS
    records = frame_records({("CID", "Thimphu"): 10, ("MIMO", "Paro"): 5})
    records[0]["phone"] = ""
    frame_id = import_records(ctx, records, name="May register")
    with transaction(ctx.sessions) as session:
        draw_id = draws.make_draw(session, frame_id, DrawRequest(sample_size=6, seed=4,
                                                                 replicates=1),
                                  at=ctx.clock.now(), by=None, window=timedelta(days=90)).id
        replicates.release(session, draw_id, at=ctx.clock.now(), by=None)
    with transaction(ctx.sessions) as session:
        case = session.scalars(select(Case).where(Case.stratum == "CID|Thimphu")).first()
        assert case is not None
        case.disposition = "complete"
        case_plan.close(session, case, at=ctx.clock.now(), by=None, reason="complete")

    rows = _export(ctx, tmp_path / "all.xlsx", ExportFilters())
    cid, mimo, total = rows[0], rows[1], rows[2]
    assert (cid["Stratum"], cid["Frame rows"], cid["Excluded: no valid phone"],
            cid["Eligible"], cid["Sampled"], cid["Released"], cid["Completes"]) == (
        "CID|Thimphu", 10, 1, 9, 4, 4, 1)
    assert cid["Inclusion probability"] == 4 / 9
    assert cid["Design weight"] == 9 / 4
    assert (cid["Frame"], cid["Seed"], mimo["Sampled"]) == ("May register", "4", 2)
    assert (total["Stratum"], total["Frame rows"], total["Sampled"], total["Completes"]) == (
        "All strata shown", 15, 6, 1)
    only_mimo = _export(ctx, tmp_path / "mimo.xlsx", ExportFilters(services=("MIMO",)))
    assert [r["Stratum"] for r in only_mimo[:2]] == ["MIMO|Paro", "All strata shown"]
    assert only_mimo[1]["Frame rows"] == 5
