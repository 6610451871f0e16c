"""How the scorecard page shows what the scorecard service reports, whatever estimator makes
it: each figure with n and its interval, suppressed figures without a value, indicative ones
labelled, flags drawn in the table and on the chart, and the methodology notes. The service is
replaced by one returning a hand-made Scorecard."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import Role
from cati_app.core.protocol_scorecard import Cell, Estimate, Flag, Methodology, Scorecard
from cati_app.server.services.reporting import scorecard
from cati_app.server.web.view import trend_chart
from tests.support.constants import PASSWORD


def est(value: float | None, n: int, status: str = "published") -> Estimate:
    if value is None:
        return Estimate(value=None, low=None, high=None, n=n, status="suppressed")
    return Estimate(value=value, low=value - 0.21, high=value + 0.19, n=n,
                    status=status)  # type: ignore[arg-type]


def cell(office: str, period: str, value: float | None, n: int, status: str = "published",
         flags: list[Flag] | None = None) -> Cell:
    e = est(value, n, status)
    share = est(None if value is None else 0.61, n, status)
    return Cell(agency="DCRC", service_code="CID", service_name="Issuance of New CID Card",
                office=office, dzongkhag="Thimphu" if office else "", period=period,
                period_kind="quarter", method="weighted", n=n, composite=e,
                composite_100=est(None if value is None else 71.0, n, status),
                parameters={"timeliness": e}, satisfied=share, flags=flags or [])


FLAG = Flag(kind="above_peers", difference=0.42, q_value=0.012,
            compared_with="same service, other offices")
CARD = Scorecard(
    generated_at=datetime(2026, 6, 2, 4, tzinfo=UTC), agency="DCRC", period_kind="quarter",
    periods=["2026-Q1", "2026-Q2"],
    cells=[cell("", "2026-Q1", 3.71, 88), cell("", "2026-Q2", 3.93, 95),
           cell("Haa DCRC", "2026-Q2", 4.37, 41, flags=[FLAG]),
           cell("Gasa DCRC", "2026-Q2", None, 7),
           cell("Paro DCRC", "2026-Q2", 3.52, 19, "indicative")],
    methodology=Methodology(composite_definition="THE COMPOSITE RULE",
                            parameter_weights={"timeliness": 2.0}, minimum_n=30,
                            suppress_below=10, weighting="THE WEIGHTING RULE",
                            comparisons="THE FDR RULE"))


@pytest.fixture
def page(client: TestClient, make_user: Callable[..., int],
         monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(scorecard, "build_scorecard", lambda *a, **k: CARD)
    make_user("ana", Role.analyst)
    form = client.get("/scorecard/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    client.post("/scorecard/login", data={"username": "ana", "password": PASSWORD,
                                          "csrf": token.group(1)})
    response = client.get("/scorecard/")
    assert response.status_code == 200
    return response.text


def _row(html: str, office: str) -> str:
    found = re.search(rf'<tr data-office="{office}">(.*?)</tr>', html, re.S)
    assert found, office
    return found.group(1)


def test_every_figure_shows_its_interval_and_n(page: str) -> None:
    row = _row(page, "Haa DCRC")
    assert "4.37" in row and "(4.16–4.56)" in row and "n=41" in row
    assert "61%" in row and "71" in row


def test_a_flag_is_shown_in_the_table_and_on_the_chart(page: str) -> None:
    row = _row(page, "Haa DCRC")
    assert 'data-flag="above_peers"' in row and "Above peers" in row and "+0.42" in row
    assert 'class="bar published flagged"' in page
    assert "data-flag" not in _row(page, "Paro DCRC")


def test_a_suppressed_figure_has_no_value(page: str) -> None:
    row = _row(page, "Gasa DCRC")
    assert 'data-status="suppressed"' in row and "n=7" in row
    assert not re.search(r"\d\.\d\d", row), "a suppressed cell shows no figure"


def test_an_indicative_figure_is_labelled(page: str) -> None:
    row = _row(page, "Paro DCRC")
    assert "indicative" in row and "3.52" in row


def test_the_methodology_notes_come_from_the_scorecard(page: str) -> None:
    for rule in ("THE COMPOSITE RULE", "THE WEIGHTING RULE", "THE FDR RULE", "Timeliness 2"):
        assert rule in page


def test_the_trend_chart_draws_one_point_per_period_with_data(page: str) -> None:
    assert page.count('class="point published"') == 2
    assert 'data-period="2026-Q2" data-value="3.93"' in page


def test_a_suppressed_period_is_a_gap_in_the_line() -> None:
    cells = [cell("", p, v, n) for p, v, n in (("A", 3.0, 40), ("B", None, 5), ("C", 4.0, 40),
                                                ("D", 4.5, 40))]
    chart = trend_chart(["A", "B", "C", "D"], cells)
    assert [p.period for p in chart.points] == ["A", "C", "D"]
    assert len(chart.segments) == 1 and chart.segments[0].count("L") == 1  # C to D only
    y = {p.period: p.y for p in chart.points}
    assert y["D"] < y["C"] < y["A"]  # a higher score is drawn higher up
    assert all(p.y_high <= p.y <= p.y_low for p in chart.points)


def test_text_from_the_data_is_escaped(client: TestClient, make_user: Callable[..., int],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    hostile = CARD.model_copy(update={"cells": [
        c.model_copy(update={"office": "<script>alert(1)</script>"}) for c in CARD.cells]})
    monkeypatch.setattr(scorecard, "build_scorecard", lambda *a, **k: hostile)
    make_user("ana", Role.analyst)
    form = client.get("/scorecard/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    client.post("/scorecard/login", data={"username": "ana", "password": PASSWORD,
                                          "csrf": token.group(1)})
    html = client.get("/scorecard/").text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
