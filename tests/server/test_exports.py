"""The analyst workbook (both backends): every figure read back from the xlsx equals a
recomputation from the seed below, made here without the code under test (the AAPOR rates
equal cati_app.core.rates.aapor_rates of counts counted here).
The seed and the workbook readers are in tests/server/export_seed.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from statistics import fmean
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import Role
from cati_app.core.rates import COUNT_KEYS, aapor_rates
from cati_app.server.context import AppContext
from tests.server.export_seed import (
    INDICATORS,
    PARAMETERS,
    SEED,
    SeedCase,
    download,
    exported,
    seed,
    sheet_rows,
)
from tests.support.factories import seed_case, seed_cid_service


@pytest.fixture
def seeded(ctx: AppContext, make_user: Callable[..., int]) -> dict[str, int]:
    return seed(ctx, make_user)


@pytest.fixture
def analyst(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
            ) -> dict[str, str]:
    make_user("ana", Role.analyst)
    return login("ana")


# --- independent expectations ----------------------------------------------------------------


def substantive(spec: SeedCase, name: str) -> int | None:
    value = (spec.answers or {}).get(name)
    return int(value) if value in {"1", "2", "3", "4", "5"} else None


def expected_parameters(spec: SeedCase) -> dict[str, float | None]:
    means = {}
    for parameter, names in PARAMETERS.items():
        values = [v for v in (substantive(spec, n) for n in names) if v is not None]
        means[parameter] = fmean(values) if values else None
    return means


def expected_composite(spec: SeedCase) -> float | None:
    present = [v for v in expected_parameters(spec).values() if v is not None]
    return fmean(present) if present else None


def mean_of(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


def expected_summary(cases: list[SeedCase]) -> dict[str, Any]:
    interviews = exported(cases)
    composite = mean_of([expected_composite(c) for c in interviews])
    row: dict[str, Any] = {
        "Completed interviews": sum(c.completion == "complete" for c in interviews),
        "Partial interviews": sum(c.completion == "partial" for c in interviews),
        "Composite (1-5)": composite,
        "Composite (0-100)": None if composite is None else (composite - 1) / 4 * 100}
    for parameter in PARAMETERS:
        row[parameter] = mean_of([expected_parameters(c)[parameter] for c in interviews])
    for name in INDICATORS:
        values = [v for v in (substantive(c, name) for c in interviews) if v is not None]
        row[f"% satisfied: {name}"] = (sum(v >= 4 for v in values) / len(values)
                                       if values else None)
    return row


def expected_counts(cases: list[SeedCase]) -> dict[str, int]:
    buckets = {"1.1": "I", "1.2": "P", "2.112": "R", "4.10": "NE", None: "UH"}
    counts = dict.fromkeys(COUNT_KEYS, 0)
    for spec in cases:
        counts[buckets[spec.code]] += 1
    return counts


def close(actual: Any, expected: float | None) -> bool:
    if expected is None:  # not computable: an empty cell, as core.rates gives None
        return actual is None
    return actual == pytest.approx(expected, rel=1e-9)


# --- tests --------------------------------------------------------------------------------------


def test_summary_sheet_equals_a_recomputation(client: TestClient, seeded: dict[str, int],
                                              analyst: dict[str, str]) -> None:
    book = openpyxl.load_workbook(io.BytesIO(download(client, analyst)))
    assert book.sheetnames == ["Summary", "Offices", "Indicators", "Response rates",
                               "Enumerators", "Sample", "Feedback", "Complaints",
                               "Complaint tickets", "Raw data", "Call history"]
    summary = {row["Service"]: row for row in sheet_rows(book, "Summary", "Service")}
    assert list(summary) == ["CID", "MOVE", "All selected"]
    groups = {"CID": [c for c in SEED if c.service == "CID"],
              "MOVE": [c for c in SEED if c.service == "MOVE"], "All selected": SEED}
    for label, cases in groups.items():
        for column, expected in expected_summary(cases).items():
            assert close(summary[label][column], expected), (label, column)
    readme = {row[0]: row[1] for row in book["Summary"].iter_rows(max_row=7, values_only=True)}
    assert readme["Generated at"] == "2026-06-02 10:00 (Asia/Thimphu)"
    assert "proportional estimate" in readme["Response rates"]
    assert book["Summary"].freeze_panes and book["Summary"].auto_filter.ref


def test_indicator_counts_equal_a_recount(client: TestClient, seeded: dict[str, int],
                                          analyst: dict[str, str]) -> None:
    book = openpyxl.load_workbook(io.BytesIO(download(client, analyst)))
    rows = sheet_rows(book, "Indicators", "Service")
    assert len(rows) == 3 * len(INDICATORS)
    columns = {"1 Very poor": "1", "2 Poor": "2", "3 Fair": "3", "4 Good": "4",
               "5 Very good": "5", "Don't know": "dk", "Refused": "ref"}
    for row in rows:
        cases = exported([c for c in SEED if row["Service"] in (c.service, "All selected")])
        answers = [(c.answers or {}).get(row["Indicator"]) for c in cases]
        for column, code in columns.items():
            assert row[column] == answers.count(code), (row["Service"], row["Indicator"])
        assert row["No answer"] == answers.count(None)
        assert row["Total"] == len(cases)
    assert len(book["Indicators"]._charts) == 1


def test_response_rates_equal_core_rates_of_recounted_dispositions(
        client: TestClient, seeded: dict[str, int], analyst: dict[str, str]) -> None:
    book = openpyxl.load_workbook(io.BytesIO(download(client, analyst)))
    rows = {row["Service"]: row for row in sheet_rows(book, "Response rates", "Service")}
    for label, cases in (("CID", [c for c in SEED if c.service == "CID"]),
                         ("MOVE", [c for c in SEED if c.service == "MOVE"]),
                         ("All selected", SEED)):
        counts = expected_counts(cases)
        assert {k: rows[label][k] for k in COUNT_KEYS} == counts
        eligible = sum(counts[k] for k in ("I", "P", "R", "NC", "O"))
        assert close(rows[label]["e"], eligible / (eligible + counts["NE"]))
        for name, value in aapor_rates(counts).items():
            assert close(rows[label][name], value), (label, name)
    assert rows["MOVE"]["REF1"] == 0 and rows["MOVE"]["RR1"] == pytest.approx(1 / 1)


def test_enumerator_productivity(client: TestClient, seeded: dict[str, int],
                                 analyst: dict[str, str]) -> None:
    book = openpyxl.load_workbook(io.BytesIO(download(client, analyst)))
    rows = {row["Enumerator"]: row for row in sheet_rows(book, "Enumerators", "Enumerator")}
    assert set(rows) == {"karma", "pema"}
    for who, row in rows.items():
        mine = [c for c in SEED if c.enumerator == who]
        hours = sum(m for c in mine for _o, _c, m in c.attempts) / 60
        completes = [c for c in mine if c.answers is not None and c.completion == "complete"]
        assert row["Attempts"] == sum(len(c.attempts) for c in mine)
        assert row["Completes"] == len(completes)
        assert row["Hours working"] == pytest.approx(hours)
        assert row["Completes per hour"] == pytest.approx(len(completes) / hours)
        assert row["Mean interview length (min)"] == pytest.approx(
            fmean(c.minutes for c in completes))


def test_open_texts_raw_data_and_call_history(client: TestClient, seeded: dict[str, int],
                                              analyst: dict[str, str]) -> None:
    book = openpyxl.load_workbook(io.BytesIO(download(client, analyst)))
    feedback = sheet_rows(book, "Feedback", "Case ID")
    complaints = sheet_rows(book, "Complaints", "Case ID")
    assert [(r["Case ID"], r["Service"], r["Date"].date(), r["Feedback (open comment)"])
            for r in feedback] == [(c.case_id, c.service, date(2026, 6, 1), c.comment)
                                   for c in SEED if c.comment]
    assert [(r["Case ID"], r["Complaint"]) for r in complaints] == [
        (c.case_id, c.complaint) for c in SEED if c.complaint]

    raw = {row["Case ID"]: row for row in sheet_rows(book, "Raw data", "Case ID")}
    # an agency acts on a complaint where it happened: the office and dzongkhag come with it
    assert complaints and all(
        (r["Office"], r["Dzongkhag"]) == (raw[r["Case ID"]]["Office"],
                                          raw[r["Case ID"]]["Dzongkhag"])
        and r["Office"] for r in complaints + feedback)
    assert set(raw) == {c.case_id for c in exported(SEED)}
    for spec in exported(SEED):
        row = raw[spec.case_id]
        assert (row["Service"], row["Enumerator"], row["Result"]) == (
            spec.service, spec.enumerator, spec.completion)
        assert row["Started (Thimphu)"] == datetime(2026, 6, 1, 9, 30)
        assert row["Length (min)"] == pytest.approx(spec.minutes)
        assert row["Date availed"].date() == spec.availed
        for name in INDICATORS:
            value = (spec.answers or {}).get(name)
            assert row[name] == (int(value) if value and value.isdigit() else value)
        for parameter, expected in expected_parameters(spec).items():
            assert row[parameter] == (None if expected is None else pytest.approx(expected))
        assert row["Composite (1-5)"] == pytest.approx(expected_composite(spec))
    stale = next(c for c in SEED if c.name == "Tashi Dorji")
    assert raw[stale.case_id]["complaint_text"] is None  # skipped after "no": not counted

    calls = sheet_rows(book, "Call history", "Case ID")
    assert sorted((r["Case ID"], r["Outcome"], r["AAPOR code"]) for r in calls) == sorted(
        (c.case_id, o, code) for c in SEED for o, code, _m in c.attempts)
    assert "Note" not in calls[0] and calls[0]["Time (Thimphu)"].tzinfo is None


def test_filters_by_service_and_date_availed(client: TestClient, seeded: dict[str, int],
                                             analyst: dict[str, str]) -> None:
    content = download(client, analyst, service="cid", **{"from": "2026-05-01",
                                                          "to": "2026-05-31"})
    book = openpyxl.load_workbook(io.BytesIO(content))
    chosen = [c for c in SEED if c.service == "CID" and c.availed.month == 5]
    summary = {row["Service"]: row for row in sheet_rows(book, "Summary", "Service")}
    assert list(summary) == ["CID", "All selected"]
    for column, expected in expected_summary(chosen).items():
        assert close(summary["All selected"][column], expected), column
    raw = sheet_rows(book, "Raw data", "Case ID")
    assert {r["Case ID"] for r in raw} == {c.case_id for c in exported(chosen)}
    rates = {r["Service"]: r for r in sheet_rows(book, "Response rates", "Service")}
    assert {k: rates["All selected"][k] for k in COUNT_KEYS} == expected_counts(chosen)
    assert "service CID" in book["Summary"]["B2"].value


def test_several_services_in_one_request(client: TestClient, ctx: AppContext,
                                        seeded: dict[str, int],
                                        analyst: dict[str, str]) -> None:
    other = seed_cid_service(ctx, "PASS", "Passport")
    seed_case(ctx, other, respondent_name="Not asked for")  # never attempted: UH if counted
    response = client.get("/v1/exports/summary.xlsx", headers=analyst,
                          params=[("service", "move"), ("service", "CID"), ("service", "cid")])
    assert response.status_code == 200, response.text
    assert "serve-cid-move-" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    summary = {row["Service"]: row for row in sheet_rows(book, "Summary", "Service")}
    assert list(summary) == ["CID", "MOVE", "All selected"]
    for column, expected in expected_summary(SEED).items():
        assert close(summary["All selected"][column], expected), column
    rates = {r["Service"]: r for r in sheet_rows(book, "Response rates", "Service")}
    assert list(rates) == ["CID", "MOVE", "All selected"]
    assert {k: rates["All selected"][k] for k in COUNT_KEYS} == expected_counts(SEED)
    raw = sheet_rows(book, "Raw data", "Case ID")
    assert {r["Case ID"] for r in raw} == {c.case_id for c in exported(SEED)}
    assert "services CID, MOVE;" in book["Summary"]["B2"].value
    everything = openpyxl.load_workbook(io.BytesIO(download(client, analyst)))
    counts = {r["Service"]: r for r in sheet_rows(everything, "Response rates", "Service")}
    assert counts["All selected"]["UH"] == expected_counts(SEED)["UH"] + 1  # PASS counted


def test_bad_filters_get_a_clear_4xx(client: TestClient, seeded: dict[str, int],
                                     analyst: dict[str, str]) -> None:
    swapped = client.get("/v1/exports/summary.xlsx", headers=analyst,
                         params={"from": "2026-06-01", "to": "2026-05-01"})
    assert swapped.status_code == 422 and "swap" in swapped.json()["detail"]
    unknown = client.get("/v1/exports/raw.csv", headers=analyst, params={"service": "NOPE"})
    assert unknown.status_code == 404 and "NOPE" in unknown.json()["detail"]
    bad_date = client.get("/v1/exports/summary.xlsx", headers=analyst, params={"from": "May"})
    assert bad_date.status_code == 422
    several = client.get("/v1/exports/summary.xlsx", headers=analyst,
                         params=[("service", "CID"), ("service", "NOPE"), ("service", "ZED")])
    assert several.status_code == 404
    assert "'NOPE', 'ZED'" in several.json()["detail"]
    too_long = client.get("/v1/exports/raw.csv", headers=analyst, params={"service": "X" * 33})
    assert too_long.status_code == 422 and "32 characters" in too_long.json()["detail"]
    too_many = client.get("/v1/exports/raw.csv", headers=analyst,
                          params=[("service", f"S{n}") for n in range(101)])
    assert too_many.status_code == 422


def test_an_empty_database_still_gives_every_sheet(client: TestClient, ctx: AppContext,
                                                   analyst: dict[str, str]) -> None:
    seed_cid_service(ctx)
    book = openpyxl.load_workbook(io.BytesIO(download(client, analyst)))
    summary = {row["Service"]: row for row in sheet_rows(book, "Summary", "Service")}
    assert summary["CID"]["Completed interviews"] == 0
    assert summary["CID"]["Composite (1-5)"] is None  # not computable: an empty cell
    rates = {r["Service"]: r for r in sheet_rows(book, "Response rates", "Service")}
    assert rates["CID"]["RR1"] is None and rates["CID"]["e"] is None
    notes = [row[0] for row in book["Response rates"].iter_rows(values_only=True)]
    assert any(str(note).startswith("An empty rate (or e) cannot be computed")
               for note in notes)


def test_the_workbook_reads_well_when_opened(client: TestClient, seeded: dict[str, int],
                                             analyst: dict[str, str]) -> None:
    """Issue 13: headers in words with the code in a note, rates as percentages, columns
    wide enough for their dates and times (no ####)."""
    book = openpyxl.load_workbook(io.BytesIO(download(client, analyst)))
    rates = book["Response rates"]
    header = {cell.value: cell for cell in rates[1]}
    assert "Response rate (RR3)" in header and "Refusal (R)" in header
    assert header["Response rate (RR3)"].comment.text.startswith("AAPOR RR3:")
    rr3 = list(header).index("Response rate (RR3)") + 1
    assert rates.cell(row=2, column=rr3).number_format == "0.0%"
    summary_titles = [c.value for row in book["Summary"].iter_rows() for c in row
                      if isinstance(c.value, str) and c.value.startswith("% satisfied:")]
    assert summary_titles and not [t for t in summary_titles if t.split(": ")[1] in INDICATORS]
    raw = book["Raw data"]
    titles = [cell.value for cell in raw[1]]
    for title in ("Started (Thimphu)", "Ended (Thimphu)", "Office"):
        column = raw.cell(row=1, column=titles.index(title) + 1).column_letter
        assert raw.column_dimensions[column].width >= 16, title
    question = raw.cell(row=1, column=titles.index("acc_info") + 1)
    assert question.comment is not None and len(question.comment.text) > 20  # the words


def test_offices_sheet_scores_each_office_from_its_own_interviews(
        client: TestClient, seeded: dict[str, int], analyst: dict[str, str]) -> None:
    book = openpyxl.load_workbook(io.BytesIO(download(client, analyst)))
    offices = sheet_rows(book, "Offices", "Service")
    raw = sheet_rows(book, "Raw data", "Case ID")
    assert offices
    for row in offices:  # the per-interview composites of Raw data, averaged by office
        mine = [r for r in raw if (r["Service"], r["Office"]) == (row["Service"], row["Office"])]
        assert row["Completed interviews"] + row["Partial interviews"] == len(mine)
        scored = [r["Composite (1-5)"] for r in mine if r["Composite (1-5)"] is not None]
        assert close(row["Composite (1-5)"], fmean(scored) if scored else None), row["Office"]
    summary = {r["Service"]: r for r in sheet_rows(book, "Summary", "Service")}
    assert sum(r["Completed interviews"] for r in offices) == (
        summary["All selected"]["Completed interviews"])
