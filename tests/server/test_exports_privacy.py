"""Personal data in exports (both backends): none by default anywhere in the workbook's XML;
names and phones only in Raw data when an admin asks; the CSV and the CLI give the same data."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import phonenumbers
import pytest
from fastapi.testclient import TestClient

from cati_app.core.protocol import Role
from cati_app.server.context import AppContext
from tests.server.export_seed import SEED, download, exported, seed, sheet_rows

pytestmark = pytest.mark.timeout(180)


def personal_strings() -> list[str]:
    found = []
    for spec in SEED:
        number = phonenumbers.parse(spec.phone)
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        found += [spec.name, spec.phone, national, national.replace(" ", ""),
                  phonenumbers.format_number(number,
                                             phonenumbers.PhoneNumberFormat.INTERNATIONAL)]
    return found


def xml_parts(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


@pytest.fixture
def people(ctx: AppContext, make_user: Callable[..., int],
           login: Callable[..., dict[str, str]]) -> dict[str, dict[str, str]]:
    seed(ctx, make_user)
    for role in (Role.analyst, Role.supervisor, Role.admin):
        make_user(role.value, role)
    return {role.value: login(role.value) for role in (Role.analyst, Role.supervisor, Role.admin)}


def test_default_export_has_no_names_or_phone_numbers(
        client: TestClient, people: dict[str, dict[str, str]]) -> None:
    parts = xml_parts(download(client, people["admin"]))
    assert any(name.startswith("xl/worksheets/") for name in parts)
    for secret in personal_strings():
        leaks = [name for name, text in parts.items() if secret in text]
        assert not leaks, (secret, leaks)
    csv_text = client.get("/v1/exports/raw.csv", headers=people["analyst"]).text
    assert not [s for s in personal_strings() if s in csv_text]


def test_only_an_admin_may_include_personal_data(
        client: TestClient, people: dict[str, dict[str, str]]) -> None:
    for role in ("analyst", "supervisor"):
        for path in ("/v1/exports/summary.xlsx", "/v1/exports/raw.csv"):
            refused = client.get(path, params={"include_pii": "true"}, headers=people[role])
            assert refused.status_code == 403, (role, path)
            assert "admin" in refused.json()["detail"]
    content = download(client, people["admin"], include_pii="true")
    book = openpyxl.load_workbook(io.BytesIO(content))
    raw = {row["Case ID"]: row for row in sheet_rows(book, "Raw data", "Case ID")}
    for spec in exported(SEED):
        assert (raw[spec.case_id]["Respondent name"], raw[spec.case_id]["Phone 1"]) == (
            spec.name, spec.phone)
    notes = [row["Note"] for row in sheet_rows(book, "Call history", "Case ID")]
    assert f"spoke to {SEED[0].name}" in notes  # notes only travel with personal data
    for title in book.sheetnames:
        if title in ("Raw data", "Call history"):
            continue
        text = repr(list(book[title].iter_rows(values_only=True)))
        assert not [s for s in personal_strings() if s in text], title


def test_csv_matches_the_raw_data_sheet(client: TestClient,
                                        people: dict[str, dict[str, str]]) -> None:
    response = client.get("/v1/exports/raw.csv", headers=people["analyst"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-length"] == str(len(response.content))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    book = openpyxl.load_workbook(io.BytesIO(download(client, people["analyst"])))
    sheet = sheet_rows(book, "Raw data", "Case ID")
    assert [int(r["Case ID"]) for r in rows] == [r["Case ID"] for r in sheet]
    for line, row in zip(rows, sheet, strict=True):
        assert float(line["Composite (1-5)"]) == pytest.approx(row["Composite (1-5)"])
        assert line["acc_info"] == str(row["acc_info"])


def test_cli_export_writes_the_same_workbook_and_csv(
        client: TestClient, people: dict[str, dict[str, str]], database_url: str,
        tmp_path: Path) -> None:
    out, out_csv = tmp_path / "summary.xlsx", tmp_path / "raw.csv"
    env = os.environ | {"CATI_DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-m", "cati_app.server.cli", "export", str(out), "--service", "CID",
         "--from", "2026-05-01", "--csv", str(out_csv)],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    from_cli = openpyxl.load_workbook(out)
    from_api = openpyxl.load_workbook(io.BytesIO(download(
        client, people["analyst"], service="CID", **{"from": "2026-05-01"})))
    assert from_cli.sheetnames == from_api.sheetnames
    for title in from_cli.sheetnames:
        if title == "Summary":  # its "generated at" line differs (system clock vs test clock)
            assert sheet_rows(from_cli, title, "Service") == sheet_rows(from_api, title,
                                                                        "Service")
            continue
        assert list(from_cli[title].values) == list(from_api[title].values), title
    assert len(out_csv.read_text(encoding="utf-8-sig").splitlines()) == 1 + len(
        [c for c in exported(SEED) if c.service == "CID" and c.availed.month >= 5])


def test_cli_export_of_several_services_is_the_apis(
        client: TestClient, people: dict[str, dict[str, str]], database_url: str,
        tmp_path: Path) -> None:
    out = tmp_path / "two.xlsx"
    env = os.environ | {"CATI_DATABASE_URL": database_url}
    result = subprocess.run(
        [sys.executable, "-m", "cati_app.server.cli", "export", str(out), "--service",
         "move,cid"], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    from_cli = openpyxl.load_workbook(out)
    response = client.get("/v1/exports/summary.xlsx", headers=people["analyst"],
                          params=[("service", "CID"), ("service", "MOVE")])
    from_api = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [r["Service"] for r in sheet_rows(from_cli, "Summary", "Service")] == [
        "CID", "MOVE", "All selected"]
    for title in ("Response rates", "Raw data", "Call history"):
        assert list(from_cli[title].values) == list(from_api[title].values), title


def test_cli_export_mistakes_are_one_line(database_url: str, people: object,
                                          tmp_path: Path) -> None:
    env = os.environ | {"CATI_DATABASE_URL": database_url}
    for args, message in ((["--from", "soon"], "is not a date"),
                          (["--service", "NOPE"], "no service with code 'NOPE'"),
                          (["--service", "CID,NOPE", "--service", "ZED"],
                           "no service with code 'NOPE', 'ZED'"),
                          (["--from", "2026-06-02", "--to", "2026-06-01"], "swap the dates")):
        result = subprocess.run(
            [sys.executable, "-m", "cati_app.server.cli", "export", str(tmp_path / "x.xlsx"),
             *args], capture_output=True, text=True, env=env, timeout=120, check=False)
        assert result.returncode == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
