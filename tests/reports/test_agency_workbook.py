"""The agency workbook's Complaints sheet (the hook for complaint tickets): written only when
there are tickets, with phone-like numbers masked and text never a formula."""

from __future__ import annotations

from datetime import UTC, date, datetime

from openpyxl import load_workbook

from cati_app.core.estimation.figures import Rules
from cati_app.core.estimation.scorecard import ServiceInfo, build
from cati_app.core.protocol_scorecard import Ticket
from cati_app.reports.agency_workbook import write_agency_workbook

NOW = datetime(2026, 6, 2, 4, tzinfo=UTC)


def _card():
    info = ServiceInfo(code="CID", name="New CID", agency="DCRC", parameters=("integrity",),
                       indicators=(), weights={"integrity": 1.0})
    return build([], [info], kind="quarter", periods=["2026-Q2"], rules=Rules(),
                 generated_at=NOW, agency="DCRC")


def test_no_complaints_no_sheet(tmp_path):
    path = tmp_path / "a.xlsx"
    assert write_agency_workbook(path, "DCRC", [_card()]) == 1
    assert "Complaints" not in load_workbook(path).sheetnames


def test_complaints_are_masked_text(tmp_path):
    ticket = Ticket(id=7, service_code="CID", agency="DCRC", office="Paro", dzongkhag="Paro",
                    reported_on=date(2026, 5, 30), channel="cati", category="payment",
                    text="=HYPERLINK(1) they asked for money, call 17 12 34 56", state="open",
                    created_at=NOW, updated_at=NOW)
    path = tmp_path / "a.xlsx"
    write_agency_workbook(path, "DCRC", [_card()], [ticket])
    ws = load_workbook(path)["Complaints"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "Ticket" and rows[1][0] == 7
    text = rows[1][7]
    assert "12 34 56" not in text and "money" in text
    assert ws.cell(row=2, column=8).data_type == "s"
