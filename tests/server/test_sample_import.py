"""Sample import: good rows become queued cases in one batch, every bad row is reported, and a
file that cannot be imported imports nothing. Runs on SQLite and PostgreSQL (``ctx``)."""

from __future__ import annotations

import csv
import re
import shutil
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.errors import NotFound, Unprocessable
from cati_app.server.models import AuditEntry, Case, CaseState, SampleBatch
from cati_app.server.services.cases.sample_import import (
    ImportReport,
    Problem,
    default_report_path,
    import_sample,
    write_report,
)
from cati_app.server.services.cases.sample_readers import sheet_from_records
from cati_app.server.services.catalogue.catalogue import add_service

RANGE = "not in a valid Bhutanese number range"


@pytest.fixture
def service(ctx: AppContext) -> str:
    with transaction(ctx.sessions) as session:
        add_service(session, code="CID", name="Issuance of New CID Card",
                    agency="DCRC", at=ctx.clock.now(), by=None)
    return "CID"


def run_import(ctx: AppContext, source, **kwargs) -> ImportReport:  # type: ignore[no-untyped-def]
    with transaction(ctx.sessions) as session:
        return import_sample(session, source, service_code=kwargs.pop("service", "CID"),
                             at=ctx.clock.now(), **kwargs)


def cases(ctx: AppContext) -> list[Case]:
    with ctx.sessions() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def count(ctx: AppContext, model) -> int:  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def head(problem: Problem) -> tuple[int, str, str]:
    return problem.row, problem.column, problem.value


def by_row(report: ImportReport) -> dict[int, list[Problem]]:
    rows: dict[int, list[Problem]] = {}
    for problem in report.problems:
        rows.setdefault(problem.row, []).append(problem)
    return rows


BAD_ROWS_CSV = """\
Name,Phone,Phone 2,Office,Dzongkhag,Date availed,Language,Priority,Notes
Karma Wangchuk,17123456,+975 77 12 34 56,Thimphu Dzongkhag Office,Thimphu,2026-05-20,dz,70,x
,17111111,,,,,,,
Pema Lhamo,17123,,,,,,,
Sonam Choden,+91 98765 43210,,,,,,,
Dorji Wangmo,17223344,,,,31/02/2026,,,
Tshering Dorji,17223345,,,,2026-06-03,,,
Ugyen Tshomo,17223346,,,,,,150,
Kinley Wangdi,17223347,,,,,,high,
Yeshi Dema,17223348,,,,,fr,,

Karma Wangchuk,17 12 34 56,,,,,,,
Deki Yangzom,77000001,,,,,,,
Jigme Namgyel,0097517223349,17223349,Paro Office,Paro,20/05/2026,English,,
,abc,,,,,,,
Sangay Zam,17223350,12345678,,,,,,
"""


def test_bad_rows_of_every_kind_are_reported_and_good_rows_imported(ctx, service, tmp_path):
    run_import(ctx, sheet_from_records([{"name": "Queued Already", "phone": "77000001"}],
                                       ["name", "phone"]))
    report = run_import(ctx, write_csv(tmp_path / "calls.csv", BAD_ROWS_CSV))

    assert (report.imported, report.rejected) == (2, 12)
    problems = by_row(report)
    assert problems[3] == [Problem(3, "Name", "", "no name given: every row needs the "
                                   "respondent's name")]
    assert head(problems[4][0]) == (4, "Phone", "17123")
    assert problems[4][0].reason.startswith("too short for a Bhutanese number (5 digits)")
    assert "India (+91)" in problems[5][0].reason
    assert problems[6] == [Problem(6, "Date availed", "31/02/2026",
                                   "not a date: use YYYY-MM-DD or DD/MM/YYYY (day first)")]
    assert problems[7] == [Problem(7, "Date availed", "2026-06-03", "2026-06-03 is in the "
                                   "future: give the date the person availed the service")]
    assert problems[8] == [Problem(8, "Priority", "150", "out of range: give a priority from "
                                   "0 to 100 (50 is usual)")]
    assert problems[9] == [Problem(9, "Priority", "high", "not a whole number: give a "
                                   "priority from 0 to 100 (50 is usual)")]
    assert problems[10] == [Problem(10, "Language", "fr", "unknown language: use dz "
                                    "(Dzongkha), tsj (Tshangla/Sharchop), ne (Lhotshamkha/"
                                    "Nepali), en (English), or leave it blank when not known")]
    assert 11 not in problems  # a blank line is skipped, not reported
    assert problems[12] == [Problem(12, "Phone", "17 12 34 56", "duplicate: the same phone "
                                    "number is on row 2 of this file, which is imported")]
    assert head(problems[13][0]) == (13, "Phone", "77000001")
    assert re.fullmatch(r"duplicate: case \d+ with this phone number is already open for "
                        r"this service", problems[13][0].reason)
    assert [(p.column, p.value) for p in problems[15]] == [("Name", ""), ("Phone", "abc")]
    assert head(problems[16][0]) == (16, "Phone 2", "12345678")
    assert problems[16][0].reason.startswith(RANGE)
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 16]
    assert report.ignored_columns == ["Notes"]
    assert report.summary() == ("imported 2, rejected 12; ignored columns not used by the "
                                "import: Notes")

    imported = cases(ctx)[1:]
    assert [(c.respondent_name, c.phones(), c.office, c.dzongkhag, c.date_availed,
             c.language, c.priority) for c in imported] == [
        ("Karma Wangchuk", ["+97517123456", "+97577123456"], "Thimphu Dzongkhag Office",
         "Thimphu", date(2026, 5, 20), "dz", 70),
        ("Jigme Namgyel", ["+97517223349"], "Paro Office", "Paro", date(2026, 5, 20), "en", 50),
    ]
    first = imported[0]
    assert (first.state, first.assignment_version, first.attempt_count, first.holder_id) == (
        CaseState.QUEUED, 0, 0, None)
    assert first.created_at == first.updated_at == ctx.clock.now()
    assert first.batch_id == report.batch_id and report.batch_id is not None


def test_the_batch_records_its_counts_and_one_audit_row(ctx, service, tmp_path):
    report = run_import(ctx, write_csv(tmp_path / "calls.csv", BAD_ROWS_CSV),
                        batch_name="May list")
    with ctx.sessions() as session:
        batch = session.get(SampleBatch, report.batch_id)
        assert (batch.name, batch.rows_imported, batch.rows_rejected) == ("May list", 3, 11)
        audits = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "sample.import")).all()
    assert len(audits) == 1
    assert audits[0].details == {"service": "CID", "imported": 3, "rejected": 11,
                                 "source": "calls.csv"}
    # the audit log carries no names or phone numbers
    assert "Karma" not in str(audits[0].details) and "1712" not in str(audits[0].details)


def test_the_report_is_written_as_csv_a_person_can_open(ctx, service, tmp_path):
    report = run_import(ctx, write_csv(tmp_path / "calls.csv", BAD_ROWS_CSV))
    path = write_report(report, default_report_path(tmp_path / "calls.csv"))
    assert path == tmp_path / "calls.rejected.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as stream:
        lines = list(csv.reader(stream))
    assert lines[0] == ["row", "column", "value", "reason"]
    assert lines[1] == ["3", "Name", "", "no name given: every row needs the respondent's name"]
    assert len(lines) == 1 + len(report.problems) == 13  # row 15 has two problems


def test_semicolons_bom_odd_headers_and_latin1(ctx, service, tmp_path):
    text = ("\ufeff NAME ;PHONE_1;phone-2;Date_Availed ;LANGUAGE;priority\r\n"
            "Tashi Delek;17 65 43 21;;01/06/2026;Dzongkha;10\r\n"
            "\r\n"
            "Chimi Dem;+975-77-65-43-21;17654322;2026-05-31;EN;\r\n"
            "Dawa Om;16 65 43 21;;2026-05-30;རྫོང་ཁ;0\r\n")
    run_import(ctx, write_csv(tmp_path / "semi.csv", text))
    latin = write_csv(tmp_path / "latin.csv", "name,phone\nRenée Café,16123456\n", "latin-1")
    report = run_import(ctx, latin)
    assert (report.imported, report.rejected, report.ignored_columns) == (1, 0, [])
    assert [(c.respondent_name, c.phones(), c.date_availed, c.language, c.priority)
            for c in cases(ctx)] == [
        ("Tashi Delek", ["+97517654321"], date(2026, 6, 1), "dz", 10),
        ("Chimi Dem", ["+97577654321", "+97517654322"], date(2026, 5, 31), "en", 50),
        ("Dawa Om", ["+97516654321"], date(2026, 5, 30), "dz", 0),
        ("Renée Café", ["+97516123456"], None, "any", 50),
    ]


def test_tabs_and_one_column_per_phone_order_without_gaps(ctx, service, tmp_path):
    text = "name\tphone\tphone2\tphone3\nNima\t17000011\t\t77000011\nNorbu\t17000012\t17000012\t\n"
    report = run_import(ctx, write_csv(tmp_path / "tabs.txt", text))
    assert report.imported == 2
    assert [c.phones() for c in cases(ctx)] == [["+97517000011", "+97577000011"],
                                                ["+97517000012"]]


def _float_cells(path: Path, old: str, new: str) -> None:
    """Rewrite numbers in the sheet XML as another tool would store them (17123456.0)."""
    copy = path.with_suffix(".tmp")
    shutil.move(path, copy)
    with zipfile.ZipFile(copy) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(old.encode(), new.encode())
            target.writestr(item, data)
    copy.unlink()


def test_xlsx_with_floats_excel_dates_and_serials(ctx, service, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Name", "Phone", "Phone 2", "Date availed", "Priority", "Language"])
    sheet.append(["Karma Choden", 17123456, None, datetime(2026, 5, 28), 80, "dz"])
    sheet.append(["Dechen Pelmo", "17123457.0", 77123457, date(2026, 5, 29), None, None])
    sheet.append(["Phurba Lham", 17123458, None, 46169, None, None])  # serial: 2026-05-27
    sheet.append([None, None, None, None, None, None])
    sheet.append(["Future Person", 17123459, None, datetime(2026, 7, 1, 9, 30), None, None])
    sheet.append(["Half Number", 17123460.5, None, None, None, None])
    path = tmp_path / "calls.xlsx"
    workbook.save(path)
    _float_cells(path, "<v>17123456</v>", "<v>17123456.0</v>")
    _float_cells(path, "<v>80</v>", "<v>80.0</v>")

    report = run_import(ctx, path)

    assert (report.imported, report.rejected) == (3, 2)
    assert [(c.respondent_name, c.phones(), c.date_availed, c.priority, c.language)
            for c in cases(ctx)] == [
        ("Karma Choden", ["+97517123456"], date(2026, 5, 28), 80, "dz"),
        ("Dechen Pelmo", ["+97517123457", "+97577123457"], date(2026, 5, 29), 50, "any"),
        ("Phurba Lham", ["+97517123458"], date(2026, 5, 27), 50, "any"),
    ]
    assert report.problems == [
        Problem(6, "Date availed", "2026-07-01 09:30:00",
                "2026-07-01 is in the future: give the date the person availed the service"),
        Problem(7, "Phone", "17123460.5", "not a whole number; format the column as text"),
    ]


def test_missing_required_column_imports_nothing(ctx, service, tmp_path):
    path = write_csv(tmp_path / "nophone.csv", "name,mobile\nKarma,17123456\n")
    with pytest.raises(Unprocessable) as caught:
        run_import(ctx, path)
    assert caught.value.detail == ("nophone.csv has no phone column: the header row must name "
                                   "at least the columns name, phone (found: name, mobile)")
    assert (count(ctx, Case), count(ctx, SampleBatch)) == (0, 0)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty.csv is empty: it needs a header row"),
    (b"\n\n  \n", "empty.csv is empty: it needs a header row"),
    (b"name,phone\n\n,\n", "empty.csv has a header row but no rows of people to call"),
    (b"name,phone,phone\nA,17123456,17123457\n", "empty.csv has two phone columns"),
])
def test_empty_files_and_ambiguous_headers_are_errors(ctx, service, tmp_path, content, message):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(Unprocessable, match=re.escape(message)):
        run_import(ctx, path)
    assert count(ctx, SampleBatch) == 0


@pytest.mark.parametrize(("name", "content", "message"), [
    ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png is neither a CSV file "
     "nor an XLSX workbook"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls is an old Excel "
     ".xls file: save it as .xlsx or CSV"),
    ("broken.xlsx", b"PK\x03\x04 this is not really a zip", "broken.xlsx is not an Excel "
     "workbook (.xlsx) that can be read: open it in Excel and save it again"),
])
def test_a_file_that_is_not_a_spreadsheet_is_a_clear_error(ctx, service, tmp_path, name,
                                                           content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(Unprocessable, match=re.escape(message)):
        run_import(ctx, path)
    assert count(ctx, Case) == 0


def test_a_missing_file_and_an_unknown_service_are_clear_errors(ctx, service, tmp_path):
    with pytest.raises(Unprocessable, match=r"cannot read nowhere\.csv"):
        run_import(ctx, tmp_path / "nowhere.csv")
    path = write_csv(tmp_path / "calls.csv", "name,phone\nKarma,17123456\n")
    with pytest.raises(NotFound, match="no service with code 'MIMO'"):
        run_import(ctx, path, service="MIMO")


def test_cases_closed_long_ago_do_not_block_a_new_sample_of_the_same_person(ctx, service,
                                                                           tmp_path):
    # (closed within the re-import window they do: tests/server/test_sample_reimport.py)
    path = write_csv(tmp_path / "calls.csv", "name,phone\nKarma,17123456\n")
    run_import(ctx, path)
    with transaction(ctx.sessions) as session:
        case = session.scalars(select(Case)).one()
        case.state = CaseState.CLOSED
        case.closed_at = case.updated_at = ctx.clock.now() - timedelta(days=120)
    assert run_import(ctx, path).imported == 1
    assert run_import(ctx, path).rejected == 1  # the new one is open again


def test_many_rows_import_in_chunks(ctx, service):
    records = [{"name": f"Person {i}", "phone": f"17{i:06d}", "priority": str(i % 101)}
               for i in range(5000)]
    report = run_import(ctx, sheet_from_records(records, ["name", "phone", "priority"]))
    assert (report.imported, report.rejected) == (5000, 0)
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).where(Case.batch_id == report.batch_id)) \
            == 5000
        assert session.scalar(select(Case.priority).where(Case.phone1 == "+97517004999")) \
            == 4999 % 101


@pytest.mark.parametrize(("cell", "code"), [
    ("dz", "dz"), ("DZONGKHA", "dz"), ("tsj", "tsj"), ("Tshangla", "tsj"), ("sharchop", "tsj"),
    ("Tshangla (Sharchop)", "tsj"), ("ne", "ne"), ("Lhotshamkha", "ne"), ("NEPALI", "ne"),
    ("Lhotshamkha  (Nepali)", "ne"), ("en", "en"), ("English", "en"), ("", "any"),
    ("  ", "any"),
])
def test_the_four_languages_by_code_or_name_and_a_blank_is_any(ctx, service, tmp_path,
                                                               cell, code):
    """Issue 18: a call list names languages as people write them; a blank is "not known"."""
    report = run_import(ctx, write_csv(tmp_path / "l.csv",
                                       f"name,phone,language\nNima,17000011,{cell}\n"))
    assert (report.imported, report.problems) == (1, [])
    assert [c.language for c in cases(ctx)] == [code]
