"""Complaint figures on the scorecards (issue 16, "the scorecard shows each office's complaint
count, share resolved and median days to resolve"), on both backends: each cell counts the
tickets reported in its own period, checked against a count and median worked out here from
the tickets made; an office with complaints and no interviews still shows them; call-back
services stay off the scorecard; an agency reads its own; the agency workbook carries the
figures and the tickets."""

from __future__ import annotations

import io
import statistics
from dataclasses import replace
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from cati_app.core.clock import to_thimphu
from cati_app.core.estimation.periods import period_of
from cati_app.core.protocol import Role
from tests.support import scorecard_seed as seed
from tests.support.complaint_tickets import Made, make_tickets
from tests.support.factories import seed_cases, seed_service

MAY = date(2026, 5, 10)  # the fixed clock is 2 June 2026, 10:00 in Thimphu
H, D = timedelta(hours=1), timedelta(days=1)
#: June (reported less than 34 hours before the clock) and May tickets, some resolved
TICKETS = [
    Made("CID", "Paro", "Waited three weeks", 2 * H),
    Made("CID", "Paro", "Rude staff at the counter", 20 * H, took=3 * H),
    Made("CID", "Paro", "Asked for a bribe", 30 * H, took=12 * H),
    Made("CID", "Thimphu", "Office closed at 2 pm", 10 * H, state="acknowledged"),
    Made("CID", "Paro", "No seats for the elderly", 10 * D, took=2 * D),
    Made("CID", "Paro", "Photo machine broken", 20 * D, took=5 * D),
    Made("CID", "Paro", "Lost my form", 15 * D, took=D + 12 * H),
    Made("CID", "Paro", "Nobody told me the documents", 12 * D),
    Made("CID", "Gasa", "The office was never open", 25 * D, took=4 * D),
    Made("ELSE", "Paro", "Another agency's complaint", 5 * H, took=H),
]

#: reported in April, resolved with the respondent's consent
CALL_BACK = Made("CID", "Thimphu", "Call me back", 40 * D, took=D, consent=True)


def expected(ctx, service: str, office: str, period: str) -> tuple[int, int, float | None]:
    """Count, resolved and median days worked out from TICKETS (by reported day)."""
    now = ctx.clock.now()
    mine = [m for m in TICKETS if m.service == service and office in ("", m.office)
            and period_of(to_thimphu(now - m.age).date(), "month") == period]
    days = [m.took / D for m in mine if m.took is not None]
    return len(mine), len(days), statistics.median(days) if days else None


@pytest.fixture
def scene(ctx, make_user):
    enum = make_user("enum")
    cid = seed_service(ctx, "CID", agency="DCRC")
    seed_service(ctx, "ELSE", agency="Another agency")
    for value in [3, 4, 5, 4] * 3:
        seed.respondent(ctx, cid, enum, value, day=MAY, office="Paro")
        seed.respondent(ctx, cid, enum, value, day=MAY, office="Thimphu")
    make_tickets(ctx, TICKETS)
    # a consenting ticket resolved: its call-back adds the service CID-FU with a case
    [case] = seed_cases(ctx, cid, 1)
    make_tickets(ctx, [replace(CALL_BACK, case_id=case)])


def _cell(card: dict, service: str, office: str, period: str) -> dict:
    [found] = [c for c in card["cells"] if (c["service_code"], c["office"], c["period"])
               == (service, office, period)]
    return found


def test_each_cell_counts_the_complaints_reported_in_its_period(ctx, client, make_user,
                                                                login, scene):
    make_user("ana", Role.analyst)
    card = client.get("/v1/scorecard", params={"agency": "DCRC", "period_kind": "month"},
                      headers=login("ana")).json()
    assert card["periods"] == ["2026-03", "2026-04", "2026-05", "2026-06"]
    assert {c["service_code"] for c in card["cells"]} == {"CID"}  # no CID-FU, no ELSE
    checked = 0
    for period in ("2026-05", "2026-06"):
        for office in ("Paro", "Thimphu", "Gasa", ""):
            count, resolved, median = expected(ctx, "CID", office, period)
            summary = _cell(card, "CID", office, period)["complaints"]
            if count == 0:
                assert summary is None
                continue
            assert (summary["count"], summary["resolved"]) == (count, resolved)
            assert summary["share_resolved"] == pytest.approx(resolved / count)
            assert summary["median_days_to_resolve"] == pytest.approx(median)
            checked += 1
    assert checked >= 6
    paro_june = _cell(card, "CID", "Paro", "2026-06")["complaints"]
    assert paro_june["count"] == 3 and paro_june["median_days_to_resolve"] == pytest.approx(
        statistics.median([3 / 24, 12 / 24]))
    gasa = _cell(card, "CID", "Gasa", "2026-05")
    assert gasa["n"] == 0 and gasa["composite"]["status"] == "suppressed"
    assert gasa["complaints"]["count"] == 1
    assert "reported in the period" in card["methodology"]["complaints"]


def test_a_quarter_adds_up_its_months(ctx, client, make_user, login, scene):
    make_user("ana", Role.analyst)
    card = client.get("/v1/scorecard", params={"agency": "DCRC"}, headers=login("ana")).json()
    quarter = _cell(card, "CID", "", "2026-Q2")["complaints"]
    in_april_to_june = [m for m in TICKETS if m.service == "CID"]  # 40 days back is April
    assert quarter["count"] == len(in_april_to_june) + 1
    days = [m.took / D for m in [*in_april_to_june, CALL_BACK] if m.took]
    assert quarter["median_days_to_resolve"] == pytest.approx(statistics.median(days))


def test_an_agency_reads_its_own_complaint_figures(client, make_user, login, scene):
    make_user("dcrc", Role.agency, agency="DCRC")
    card = client.get("/v1/scorecard", params={"period_kind": "month"},
                      headers=login("dcrc")).json()
    assert {c["agency"] for c in card["cells"]} == {"DCRC"}
    assert _cell(card, "CID", "Paro", "2026-06")["complaints"]["count"] == 3


def test_the_agency_workbook_has_complaint_figures_and_tickets(client, make_user, login,
                                                               scene):
    make_user("ana", Role.analyst)
    response = client.get("/v1/exports/agency.xlsx", params={"agency": "DCRC"},
                          headers=login("ana"))
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert "Complaints" in book.sheetnames
    tickets = list(book["Complaints"].iter_rows(values_only=True))[1:]
    texts = {row[7] for row in tickets}
    assert "Asked for a bribe" in texts and "Another agency's complaint" not in texts
    months = list(book["Months"].iter_rows(values_only=True))
    row = dict(zip(months[0], next(r for r in months if r[2] == "Paro" and r[4] == "2026-06"),
                   strict=False))
    assert row["Complaints"] == 3 and row["Resolved"] == pytest.approx(2 / 3)
    methodology = [str(v) for r in book["Methodology"].iter_rows(values_only=True) for v in r]
    assert any("reported in the period" in v for v in methodology)
