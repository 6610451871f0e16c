"""Scorecards from the database (both backends): the figures checked against independent
calculations (scipy's t interval; the textbook stratified Taylor variance in numpy), the
weights' nonresponse adjustment, what counts, the agency filter, fiscal years, the API and
the agency workbook read back with openpyxl."""

from __future__ import annotations

import io
import math
import statistics
from datetime import date

import httpx
import numpy as np
import pytest
from openpyxl import load_workbook
from scipy import stats

from cati_app.core.protocol import Role
from tests.support import scorecard_seed as seed
from tests.support.constants import PASSWORD
from tests.support.factories import assert_error, seed_service

MAY = date(2026, 5, 10)  # the fixed clock is 2 June 2026: quarter 2026-Q2, FY2025-26
VALUES = [1, 2, 3, 3, 4, 4, 4, 5, 5, 5, 2, 4]


@pytest.fixture
def analyst(make_user, login):
    make_user("ana", Role.analyst)
    return login("ana")


def _cell(card: dict, service: str, office: str, period: str) -> dict:
    [found] = [c for c in card["cells"] if (c["service_code"], c["office"], c["period"])
               == (service, office, period)]
    return found


def test_an_unweighted_office_is_the_t_interval_of_its_composites(ctx, client, analyst,
                                                                   make_user):
    enum = make_user("enum")
    cid = seed_service(ctx, "CID", agency="DCRC")
    other = seed_service(ctx, "ELSE", agency="Another agency")
    for value in VALUES:
        seed.respondent(ctx, cid, enum, value, day=MAY)
    # none of these count: a partial, a version that is not primary, a rejected one
    seed.respondent(ctx, cid, enum, 1, day=MAY, completion="partial")
    seed.respondent(ctx, cid, enum, 1, day=MAY, primary=False)
    seed.respondent(ctx, cid, enum, 1, day=MAY, review_status="rejected")
    seed.respondent(ctx, other, enum, 1, day=MAY)

    response = client.get("/v1/scorecard", params={"agency": "DCRC"}, headers=analyst)
    assert response.status_code == 200, response.text
    card = response.json()
    assert card["periods"] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert {c["service_code"] for c in card["cells"]} == {"CID"}
    paro = _cell(card, "CID", "Paro", "2026-Q2")
    n, mean = len(VALUES), statistics.fmean(VALUES)
    half = stats.t.ppf(0.975, n - 1) * statistics.stdev(VALUES) / math.sqrt(n)
    assert (paro["n"], paro["method"]) == (12, "unweighted")
    composite = paro["composite"]
    assert composite["status"] == "indicative"  # 12: at least 10, under 30
    assert composite["value"] == pytest.approx(mean)
    assert (composite["low"], composite["high"]) == (pytest.approx(mean - half),
                                                     pytest.approx(mean + half))
    assert paro["composite_100"]["value"] == pytest.approx((mean - 1) * 25)
    assert paro["parameters"]["integrity"]["value"] == pytest.approx(mean)
    assert paro["indicators"]["acc_info"]["value"] == pytest.approx(mean)
    assert paro["satisfied"]["value"] == pytest.approx(sum(v >= 4 for v in VALUES) / n)
    assert _cell(card, "CID", "", "2026-Q2")["composite"]["value"] == pytest.approx(mean)
    empty = _cell(card, "CID", "Paro", "2026-Q1")
    assert (empty["n"], empty["composite"]["status"], empty["composite"]["value"]) == (
        0, "suppressed", None)
    assert "Dorji" not in response.text and "17123456" not in response.text
    assert "each respondent's own composite" in card["methodology"]["composite_definition"]


def test_a_drawn_sample_is_weighted_with_a_nonresponse_adjustment(ctx, client, analyst,
                                                                   make_user):
    enum = make_user("enum")
    draw = seed_service(ctx, "DRAW", agency="DCRC")
    batch = seed.batch(ctx, draw)
    # stratum A: π = 0.5, 12 sampled: 10 respond, 1 refuses, 1 not a user (not eligible)
    # stratum B: π = 0.1, 15 sampled: 10 respond, 5 never reached
    a_values, b_values = [3, 4, 4, 5, 5, 3, 4, 2, 5, 4], [2, 3, 3, 1, 2, 4, 3, 2, 3, 2]
    for value in a_values:
        seed.respondent(ctx, draw, enum, value, day=MAY, batch_id=batch,
                        inclusion_probability=0.5, stratum="A")
    for code in ("2.112", "4.10"):
        seed.case(ctx, draw, day=MAY, disposition_code=code, batch_id=batch,
                  inclusion_probability=0.5, stratum="A")
    for value in b_values:
        seed.respondent(ctx, draw, enum, value, day=MAY, batch_id=batch,
                        inclusion_probability=0.1, stratum="B")
    for _ in range(5):
        seed.case(ctx, draw, day=MAY, disposition_code="3.13", batch_id=batch,
                  inclusion_probability=0.1, stratum="B")

    # independently: weight = 1/π × (Σ 1/π eligible sampled / Σ 1/π respondents)
    w_a, w_b = 2 * (11 * 2) / (10 * 2), 10 * 15 / 10
    y = np.array(a_values + b_values, dtype=float)
    w = np.array([w_a] * 10 + [w_b] * 10)
    strata = np.array(["A"] * 10 + ["B"] * 10)
    mean = float(np.sum(w * y) / np.sum(w))
    z = w * (y - mean) / np.sum(w)
    variance = sum(10 / 9 * float(np.sum((z[strata == h] - z[strata == h].mean()) ** 2))
                   for h in ("A", "B"))
    half = stats.t.ppf(0.975, 20 - 2) * math.sqrt(variance)

    card = client.get("/v1/scorecard", params={"service": "draw"}, headers=analyst).json()
    cell = _cell(card, "DRAW", "Paro", "2026-Q2")
    assert (cell["n"], cell["method"]) == (20, "weighted")
    assert cell["composite"]["value"] == pytest.approx(mean)
    assert cell["composite"]["low"] == pytest.approx(mean - half)
    assert cell["composite"]["high"] == pytest.approx(mean + half)
    assert "nonresponse" in card["methodology"]["weighting"]


def test_fiscal_years_run_july_to_june(ctx, client, analyst, make_user):
    enum = make_user("enum")
    cid = seed_service(ctx, "CID", agency="DCRC")
    for _ in range(10):
        seed.respondent(ctx, cid, enum, 2, day=date(2025, 6, 30))
        seed.respondent(ctx, cid, enum, 5, day=date(2025, 7, 1))
    card = client.get("/v1/scorecard", params={"period_kind": "fiscal_year", "periods": 2},
                      headers=analyst).json()
    assert card["periods"] == ["FY2024-25", "FY2025-26"]
    assert _cell(card, "CID", "", "FY2024-25")["composite"]["value"] == pytest.approx(2)
    assert _cell(card, "CID", "", "FY2025-26")["composite"]["value"] == pytest.approx(5)


def test_bad_filters_are_refused_with_a_reason(client, analyst):
    assert_error(client.get("/v1/scorecard", params={"service": "NOPE"}, headers=analyst), 404)
    assert_error(client.get("/v1/scorecard", params={"period_kind": "week"},
                            headers=analyst), 422)
    assert_error(client.get("/v1/exports/agency.xlsx", params={"agency": "Nobody"},
                            headers=analyst), 404)


def test_the_agency_workbook_has_the_cells_and_no_personal_data(ctx, client, analyst,
                                                                 make_user):
    enum = make_user("enum")
    cid = seed_service(ctx, "CID", agency="DCRC")
    for value in VALUES * 3:
        seed.respondent(ctx, cid, enum, value, day=MAY)
    response = client.get("/v1/exports/agency.xlsx", params={"agency": "DCRC"},
                          headers=analyst)
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["Methodology", "Quarters", "Fiscal years", "Months", "Trends",
                               "Indicators"]
    texts = [str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
             for v in row if v is not None]
    assert not [t for t in texts if "Dorji" in t or "17123456" in t]
    quarters = list(book["Quarters"].iter_rows(values_only=True))
    header = quarters[0]
    paro = [r for r in quarters if r[2] == "Paro" and r[4] == "2026-Q2"][0]
    row = dict(zip(header, paro, strict=False))  # trailing empty cells are not stored
    assert row["Respondents (n)"] == 36 and row["Status"] == "published"
    assert row["Composite (1–5)"] == pytest.approx(statistics.fmean(VALUES))
    assert any("each respondent's own composite" in t for t in texts)


@pytest.mark.e2e
def test_the_scorecard_from_the_real_server(ctx, live_server, make_user):
    make_user("ana", Role.analyst)
    enum = make_user("enum")
    cid = seed_service(ctx, "CID", agency="DCRC")
    for value in VALUES:
        seed.respondent(ctx, cid, enum, value, day=MAY)
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        token = http.post("/v1/auth/token", json={"username": "ana", "password": PASSWORD,
                                                  "device_id": "dev-ana"}).json()
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        response = http.get("/v1/scorecard", params={"period_kind": "month", "periods": 2},
                            headers=auth)
        assert response.status_code == 200, response.text
        card = response.json()
        assert card["periods"] == ["2026-05", "2026-06"]
        assert _cell(card, "CID", "Paro", "2026-05")["composite"]["value"] == pytest.approx(
            statistics.fmean(VALUES))
        book = http.get("/v1/exports/agency.xlsx", params={"agency": "DCRC"}, headers=auth)
        assert book.status_code == 200
        assert int(book.headers["content-length"]) == len(book.content)
