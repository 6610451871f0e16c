"""Issue 11, exports: hostile text never becomes a formula, an illegal character never kills an
export, and the default export masks phone numbers typed into free text (issue 13).

Hostile values are stored directly in the database (bypassing push and import validation), as
rows stored before the inbound checks existed would be. Both backends.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import Role
from cati_app.core.safe_text import mask_phone_runs
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import CaseState, ContactAttempt, InterviewVersion, User
from cati_app.server.services.cases.sample_import import ImportReport, Problem, write_report
from tests.support.factories import seed_case, seed_cid_service

START = datetime(2026, 6, 1, 3, 30, tzinfo=UTC)
FORMULAS = ["=1+1", "+SUM(1,2)", "-2+3", "@SUM(1)", '=HYPERLINK("http://x.example","y")',
            "\t=1+1", "=cmd|' /C calc'!A0"]
PHONE_TEXT = "please call me on 17 12 34 56 or +975-77-123456, visited 2026-05-20"


def _answers(comment: str, complaint: str) -> dict[str, Any]:
    return {"consent": "yes", "availed": "yes", "acc_info": "4", "acc_reach": "5",
            "comment": comment, "complaint": "yes", "complaint_text": complaint}


def _store(ctx: AppContext, make_user: Callable[..., int], *, service_name: str,
           office: str, full_name: str, comment: str, complaint: str, note: str) -> int:
    user_id = make_user("karma", Role.enumerator, full_name=full_name)
    service_id = seed_cid_service(ctx, "CID", service_name)
    case_id = seed_case(ctx, service_id, office=office, dzongkhag=office,
                        respondent_name=office, disposition_code="1.1",
                        state=CaseState.CLOSED)
    with transaction(ctx.sessions) as session:
        session.add(ContactAttempt(
            item_uuid=str(uuid.uuid4()), case_id=case_id, service_id=service_id,
            user_id=user_id, device_id="d", assignment_version=1, started_at=START,
            ended_at=START + timedelta(minutes=9),
            outcome="complete", aapor_code="1.1", note=note, received_at=START))
        session.add(InterviewVersion(
            version_uuid=str(uuid.uuid4()), item_uuid=str(uuid.uuid4()),
            interview_uuid=str(uuid.uuid4()), case_id=case_id, user_id=user_id,
            device_id="d", assignment_version=1, questionnaire_id="set",
            questionnaire_version=1, language="en", started_at=START,
            ended_at=START + timedelta(minutes=9), answers=_answers(comment, complaint),
            completion="complete", primary=True, received_at=START))
    return user_id


@pytest.fixture
def analyst(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
            ) -> dict[str, str]:
    make_user("ana", Role.analyst)
    return login("ana")


@pytest.fixture
def admin(make_user: Callable[..., int], login: Callable[..., dict[str, str]]
          ) -> dict[str, str]:
    make_user("root", Role.admin)
    return login("root")


def _workbook(client: TestClient, headers: dict[str, str], **params: Any) -> Any:
    response = client.get("/v1/exports/summary.xlsx", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _cells(book: Any) -> list[Any]:
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None]


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


# --- formulas -------------------------------------------------------------------------------


@pytest.fixture
def hostile(ctx: AppContext, make_user: Callable[..., int]) -> None:
    _store(ctx, make_user, service_name=FORMULAS[0], office=FORMULAS[1], full_name=FORMULAS[3],
           comment=FORMULAS[4], complaint=FORMULAS[2], note=FORMULAS[6])


@pytest.mark.parametrize("pii", [False, True])
def test_no_workbook_cell_is_a_formula(client: TestClient, hostile: None,
                                       analyst: dict[str, str], admin: dict[str, str],
                                       pii: bool) -> None:
    book = _workbook(client, admin if pii else analyst, include_pii=pii)
    cells = _cells(book)
    formulas = [(c.parent.title, c.coordinate, c.value) for c in cells if c.data_type == "f"]
    assert formulas == []
    texts = {c.value for c in cells if c.data_type == "s"}
    # the hostile text is still there, as typed, in every sheet it belongs to
    expected = {FORMULAS[0], FORMULAS[1], FORMULAS[2], FORMULAS[3], FORMULAS[4]}
    if pii:
        expected.add(FORMULAS[6])
    assert expected <= texts
    sheets = {c.parent.title for c in cells if c.value in expected}
    assert {"Summary", "Raw data", "Feedback", "Complaints", "Enumerators"} <= sheets


@pytest.mark.parametrize("pii", [False, True])
def test_raw_csv_neutralises_formula_cells(client: TestClient, hostile: None,
                                           analyst: dict[str, str], admin: dict[str, str],
                                           pii: bool) -> None:
    response = client.get("/v1/exports/raw.csv", params={"include_pii": pii},
                          headers=admin if pii else analyst)
    assert response.status_code == 200, response.text
    header, row = _csv_rows(response.content)
    record = dict(zip(header, row, strict=True))
    assert record["Office"] == "'" + FORMULAS[1]
    assert record["comment"] == "'" + FORMULAS[4]
    assert record["complaint_text"] == "'" + FORMULAS[2]
    if pii:
        assert record["Respondent name"] == "'" + FORMULAS[1]
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert record["acc_info"] == "4"  # numbers stay numbers


def test_cli_csv_neutralises_formula_cells(ctx: AppContext, hostile: None, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from cati_app.server.cli import main

    out, raw = tmp_path / "out.xlsx", tmp_path / "raw.csv"
    monkeypatch.setenv("CATI_DATABASE_URL", ctx.settings.database_url)
    assert main(["export", str(out), "--csv", str(raw)]) == 0
    header, row = _csv_rows(raw.read_bytes())
    assert dict(zip(header, row, strict=True))["comment"] == "'" + FORMULAS[4]
    book = openpyxl.load_workbook(out)
    assert [c for c in _cells(book) if c.data_type == "f"] == []


def _problems() -> ImportReport:
    report = ImportReport(source="calls.csv", service_code="CID", rejected=len(FORMULAS))
    report.problems.extend(Problem(row=n + 2, column="name", value=value,
                                         reason=f"{value} is not a name")
                           for n, value in enumerate(FORMULAS))
    return report


def test_rejected_rows_report_neutralises_formula_cells(tmp_path: Path) -> None:
    path = write_report(_problems(), tmp_path / "calls.rejected.csv")
    rows = _csv_rows(path.read_bytes())[1:]
    assert [r[2] for r in rows] == ["'" + value for value in FORMULAS]
    assert all(r[3].startswith("'") for r in rows)
    assert [r[0] for r in rows] == [str(n + 2) for n in range(len(FORMULAS))]


def test_desktop_rejected_rows_csv_neutralises_formula_cells(tmp_path: Path) -> None:
    from cati_app.desktop.supervisor.import_dialog import write_problems_csv

    path = write_problems_csv(_problems().problems, tmp_path / "saved.csv")
    rows = _csv_rows(path.read_bytes())[1:]
    assert [r[2] for r in rows] == ["'" + value for value in FORMULAS]


# --- illegal characters ---------------------------------------------------------------------


def _illegal(ctx: AppContext) -> str:
    # PostgreSQL text cannot hold NUL at all, so there only the other controls can be stored
    nul = "\x00" if ctx.engine.dialect.name == "sqlite" else ""
    return f"first\x0bsecond{nul}\x01\x1fthird\x0c"


def test_control_characters_already_stored_do_not_kill_the_export(
        ctx: AppContext, make_user: Callable[..., int], client: TestClient,
        analyst: dict[str, str], admin: dict[str, str]) -> None:
    bad = _illegal(ctx)
    _store(ctx, make_user, service_name="CID\x0b card", office="Thimphu\x0b",
           full_name="Karma\x08", comment=bad, complaint=bad, note=bad)
    for headers, pii in ((analyst, False), (admin, True)):
        book = _workbook(client, headers, include_pii=pii)
        texts = {c.value for c in _cells(book)}
        # the word processor's line break survives as one, the rest of the controls go
        assert {"first\nsecondthird\n", "first\nsecondthird"} <= texts
        assert "CID\n card" in texts and "Thimphu\n" in texts and "Karma" in texts
        also_one_service = _workbook(client, headers, include_pii=pii, service="CID")
        assert "first\nsecondthird" in {c.value for c in _cells(also_one_service)}
    response = client.get("/v1/exports/raw.csv", headers=analyst)
    assert response.status_code == 200
    assert "first\nsecondthird\n" in _csv_rows(response.content)[1]


# --- phone numbers in free text -------------------------------------------------------------


@pytest.fixture
def phones(ctx: AppContext, make_user: Callable[..., int]) -> None:
    _store(ctx, make_user, service_name="Issuance of CID", office="Thimphu",
           full_name="Karma", comment=PHONE_TEXT, complaint="ring 02-321456 please",
           note=PHONE_TEXT)


def test_default_workbook_masks_phone_numbers_in_free_text(
        client: TestClient, phones: None, analyst: dict[str, str]) -> None:
    texts = {c.value for c in _cells(_workbook(client, analyst))}
    assert mask_phone_runs(PHONE_TEXT) in texts
    assert "ring [phone] please" in texts
    everything = " ".join(str(t) for t in texts)
    for digits in ("17 12 34 56", "77-123456", "321456"):
        assert digits not in everything


def test_default_csv_masks_phone_numbers_in_free_text(
        client: TestClient, phones: None, analyst: dict[str, str]) -> None:
    response = client.get("/v1/exports/raw.csv", headers=analyst)
    header, row = _csv_rows(response.content)
    record = dict(zip(header, row, strict=True))
    assert record["comment"] == mask_phone_runs(PHONE_TEXT)
    assert record["complaint_text"] == "ring [phone] please"


def test_export_with_personal_data_keeps_free_text_as_said(
        client: TestClient, phones: None, admin: dict[str, str]) -> None:
    texts = {c.value for c in _cells(_workbook(client, admin, include_pii=True))}
    assert PHONE_TEXT in texts and "ring 02-321456 please" in texts


@pytest.mark.parametrize(("text", "masked"), [
    ("17123456", "[phone]"),
    ("call 17 12 34 56 now", "call [phone] now"),
    ("+975 17-123-456", "[phone]"),
    ("00975 77123456.", "[phone]."),
    ("(02) 321 456 office", "[phone] office"),
    ("two: 17123456/77123456", "two: [phone]/[phone]"),
    ("on 2026-05-20 at 10:30, paid Nu. 1500, waited 45 min", None),
    ("token 123456 and year 2026", None),
])
def test_mask_phone_runs(text: str, masked: str | None) -> None:
    assert mask_phone_runs(text) == (text if masked is None else masked)


def test_enumerator_names_are_not_personal_data_and_stay(
        client: TestClient, ctx: AppContext, phones: None, analyst: dict[str, str]) -> None:
    with transaction(ctx.sessions) as session:
        assert session.query(User).filter_by(username="karma").one().full_name == "Karma"
    book = _workbook(client, analyst)
    assert [r[1] for r in book["Enumerators"].iter_rows(min_row=2, max_row=2,
                                                        values_only=True)] == ["Karma"]
