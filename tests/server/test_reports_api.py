"""Report API: fieldwork progress and AAPOR response rates (both backends)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import Role
from cati_app.core.rates import aapor_rates
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import CaseState
from tests.support.factories import (
    COMPLETE_ANSWERS,
    assert_error,
    give,
    seed_attempt,
    seed_case,
    seed_cid_service,
    seed_version,
)

#: the fixed clock is 2026-06-02 10:00 Thimphu; that Thimphu day began 2026-06-01 18:00 UTC
TODAY_1AM_THIMPHU = datetime(2026, 6, 1, 19, 0, tzinfo=UTC)
YESTERDAY_11PM_THIMPHU = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)


@pytest.fixture
def analyst(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
            ) -> dict[str, str]:
    make_user("ana", Role.analyst)
    return login("ana")


def closed(code: str, key: str = "") -> dict[str, Any]:
    return {"state": CaseState.CLOSED, "disposition_code": code, "disposition": key or code}


# --- progress ------------------------------------------------------------------------------


def test_progress_per_service_and_enumerator(
        client: TestClient, ctx: AppContext, analyst: dict[str, str],
        make_user: Callable[..., int]) -> None:
    karma, pema = make_user("karma"), make_user("pema")
    cid, move = seed_cid_service(ctx), seed_cid_service(ctx, "MOVE", "Move-in/Move-out")
    held = seed_case(ctx, cid)
    seed_case(ctx, cid)
    done = seed_case(ctx, cid, **closed("1.1", "complete"))
    moving = seed_case(ctx, move)
    give(ctx, held, karma)
    give(ctx, moving, pema)
    for at in (TODAY_1AM_THIMPHU, ctx.clock.now(), YESTERDAY_11PM_THIMPHU):
        seed_attempt(ctx, held, karma, at)
    seed_attempt(ctx, moving, pema, ctx.clock.now())
    today = seed_version(ctx, done, karma, primary=True)
    yesterday = seed_version(ctx, held, karma, primary=True)
    with transaction(ctx.sessions) as session:
        row = session.merge(yesterday)
        row.ended_at = row.received_at = YESTERDAY_11PM_THIMPHU  # "today" is by receipt
    seed_version(ctx, moving, pema, primary=False)  # not primary: not counted
    seed_version(ctx, moving, pema, primary=True, completion="partial")  # not complete
    assert today.ended_at == ctx.clock.now()

    response = client.get("/v1/reports/progress", headers=analyst)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["day"] == "2026-06-02"
    services = {s["service_code"]: s for s in report["services"]}
    assert services["CID"]["cases_by_state"] == {
        "queued": 1, "held": 1, "needs_supervisor": 0, "closed": 1}
    assert (services["CID"]["total_cases"], services["CID"]["completes_today"]) == (3, 1)
    assert (services["CID"]["attempts_total"], services["CID"]["attempts_today"]) == (3, 2)
    assert (services["MOVE"]["attempts_total"], services["MOVE"]["completes_today"]) == (1, 0)
    people = {e["username"]: e for e in report["enumerators"]}
    assert set(people) == {"karma", "pema"}
    assert people["karma"]["cases_by_state"]["held"] == 1
    assert (people["karma"]["completes_today"], people["karma"]["attempts_today"]) == (1, 2)
    assert (people["pema"]["attempts_total"], people["pema"]["completes_today"]) == (1, 0)


def test_progress_with_nothing_yet(client: TestClient, ctx: AppContext,
                                   analyst: dict[str, str]) -> None:
    seed_cid_service(ctx)
    [service] = client.get("/v1/reports/progress", headers=analyst).json()["services"]
    assert service["total_cases"] == 0 and service["attempts_today"] == 0


# --- response rates ------------------------------------------------------------------------


@pytest.fixture
def sample(ctx: AppContext) -> None:
    """CID: I=2, R=1, NE=1, UH: one attempted (3.13, open) and two never attempted;
    MOVE: O=1, NC=1 (open, provisional). One CID case availed outside May 2026."""
    cid, move = seed_cid_service(ctx), seed_cid_service(ctx, "MOVE", "Move-in/Move-out")
    for fields in (closed("1.1"), closed("1.1"), closed("2.112"), closed("4.10"),
                   {"disposition_code": "3.13", "disposition": "no_answer"}, {}, {}):
        seed_case(ctx, cid, **fields)
    seed_case(ctx, cid, date_availed=date(2026, 4, 30), **closed("1.1"))
    seed_case(ctx, move, **closed("2.33"))
    seed_case(ctx, move, disposition_code="2.21", disposition="not_available")


def rates_of(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/v1/reports/response-rates", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def assert_rates_match(body: dict[str, Any], counts: dict[str, int]) -> None:
    assert {k: v for k, v in body["counts"].items() if v} == counts
    expected = aapor_rates(counts)
    for name, value in expected.items():
        got = body["rates"][name]
        assert (got is None) if math.isnan(value) else got == pytest.approx(value), name


@pytest.mark.usefixtures("sample")
def test_response_rates_match_the_core_formulas(client: TestClient,
                                                analyst: dict[str, str]) -> None:
    body = rates_of(client, analyst)
    assert_rates_match(body, {"I": 3, "R": 1, "NE": 1, "UH": 3, "O": 1, "NC": 1})
    assert body["e"] == pytest.approx(6 / 7) and "proportional" in body["e_method"]
    assert (body["cases_total"], body["cases_open"], body["cases_not_attempted"]) == (10, 2, 2)
    assert "not yet attempted" in body["note"] and "provisional" in body["note"]

    cid_in_may = rates_of(client, analyst, service="cid", **{"from": "2026-05-01",
                                                             "to": "2026-05-31"})
    assert cid_in_may["service"] == "CID"
    assert_rates_match(cid_in_may, {"I": 2, "R": 1, "NE": 1, "UH": 3})


@pytest.mark.usefixtures("sample")
def test_rates_with_zero_denominators_are_null(client: TestClient,
                                               analyst: dict[str, str]) -> None:
    body = rates_of(client, analyst, **{"from": "2030-01-01"})
    assert body["cases_total"] == 0 and body["e"] is None
    assert set(body["rates"].values()) == {None}


def test_a_bad_disposition_code_is_left_out_and_named(
        client: TestClient, ctx: AppContext, analyst: dict[str, str]) -> None:
    cid = seed_cid_service(ctx)
    seed_case(ctx, cid, **closed("1.1"))
    seed_case(ctx, cid, **closed("9.99"))
    body = rates_of(client, analyst)
    assert body["counts"]["I"] == 1 and body["cases_total"] == 1
    assert "'9.99' (1)" in body["note"]


@pytest.mark.parametrize(("params", "status"), [
    ({"from": "2026-06-01", "to": "2026-05-01"}, 422),
    ({"from": "yesterday"}, 422),
    ({"service": "NOPE"}, 404),
])
def test_response_rate_filters_are_checked(client: TestClient, analyst: dict[str, str],
                                           params: dict[str, str], status: int) -> None:
    assert_error(client.get("/v1/reports/response-rates", params=params, headers=analyst),
                 status)


def breakdown(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/v1/reports/response-rates/by", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.usefixtures("sample")
def test_rates_per_service_equal_the_rates_filtered_to_each_service(
        client: TestClient, analyst: dict[str, str]) -> None:
    by_service = breakdown(client, analyst, by="service")
    assert [g["group"] for g in by_service["groups"]] == ["CID", "MOVE"]
    for group in by_service["groups"]:  # an independent path: the filtered overall figure
        alone = rates_of(client, analyst, service=group["group"])
        assert group["rates"]["counts"] == alone["counts"]
        assert group["rates"]["rates"] == alone["rates"]
    assert by_service["overall"]["counts"] == rates_of(client, analyst)["counts"]


@pytest.mark.usefixtures("sample")
def test_rates_per_month_and_enumerator_add_up_to_the_overall_counts(
        client: TestClient, ctx: AppContext, analyst: dict[str, str],
        make_user: Callable[..., int]) -> None:
    by_month = breakdown(client, analyst, by="month")
    months = {g["group"]: g["rates"]["cases_total"] for g in by_month["groups"]}
    assert months == {"2026-04": 1, "2026-05": 9}
    by_enumerator = breakdown(client, analyst, by="enumerator", service="MOVE")
    assert [g["group"] for g in by_enumerator["groups"]] == ["(never assigned)"]
    for grouping in ("service", "office", "enumerator", "month", "language"):
        body = breakdown(client, analyst, by=grouping)
        summed: dict[str, int] = {}
        for group in body["groups"]:
            for key, n in group["rates"]["counts"].items():
                summed[key] = summed.get(key, 0) + n
        assert summed == body["overall"]["counts"], grouping
    bad = client.get("/v1/reports/response-rates/by", params={"by": "colour"}, headers=analyst)
    assert bad.status_code == 422


def test_rates_and_scores_per_respondent_language(
        client: TestClient, ctx: AppContext, analyst: dict[str, str],
        make_user: Callable[..., int]) -> None:
    """Issue 18: language is a known source of nonresponse bias; the analyst sees the rates
    and the mean composite score of each respondent language side by side."""
    cid = seed_cid_service(ctx)
    karma = make_user("karma")
    ne_complete = seed_case(ctx, cid, language="ne", **closed("1.1", "complete"))
    seed_case(ctx, cid, language="ne", **closed("2.112", "hard_refusal"))
    seed_case(ctx, cid, language="ne", **closed("2.112", "hard_refusal"))
    dz_complete = seed_case(ctx, cid, language="dz", **closed("1.1", "complete"))
    seed_case(ctx, cid, language="any")
    ratings = ("acc_info", "acc_reach", "time_wait", "time_turnaround", "att_welcome",
               "att_courtesy", "int_fair", "int_payment", "fb_channels", "fb_willing")

    def answers(rating: str) -> dict[str, str]:
        return {**COMPLETE_ANSWERS, **dict.fromkeys(ratings, rating)}

    seed_version(ctx, ne_complete, karma, primary=True, answers=answers("1"))
    seed_version(ctx, ne_complete, karma, primary=False)  # not primary: not counted
    seed_version(ctx, dz_complete, karma, primary=True, answers=answers("5"))
    body = breakdown(client, analyst, by="language")
    groups = {g["group"]: g for g in body["groups"]}
    assert sorted(groups) == ["any", "dz", "ne"]
    assert groups["ne"]["rates"]["counts"]["I"] == 1 and groups["ne"]["rates"]["counts"]["R"] == 2
    assert groups["ne"]["rates"]["rates"]["RR1"] == pytest.approx(1 / 3)
    assert groups["dz"]["rates"]["rates"]["RR1"] == pytest.approx(1.0)
    assert (groups["ne"]["composite"], groups["ne"]["scored"]) == (pytest.approx(1.0), 1)
    assert (groups["dz"]["composite"], groups["dz"]["scored"]) == (pytest.approx(5.0), 1)
    assert (groups["any"]["composite"], groups["any"]["scored"]) == (None, 0)
