"""Broken or hostile files given to the sample import and the questionnaire (XLSForm) import
(issue 11): malformed XML, a non-numeric number cell, a DTD entity (billion laughs, XXE) and a
small file that expands to hundreds of MB get a clear 4xx within bounded time, never a 500;
the CLI never prints a traceback; an oversize CSV cell rejects its row, not the file; and on
SQLite an import never holds the write lock while it parses the file."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from cati_app.server.models import Case, QuestionnaireVersion, SampleBatch
from cati_app.server.services.cases import sample_readers
from tests.support.cli import Cli
from tests.support.factories import seed_service
from tests.support.workbooks import CHOICES, SURVEY, write_workbook

SHEET = "xl/worksheets/sheet1.xml"
SAMPLE_URL = "/v1/samples/import"
XLSFORM_URL = "/v1/admin/questionnaires/xlsform"
#: what a hostile file may cost before it is refused (generous for a loaded 2-core machine)
BOUNDED_SECONDS = 10


def _sample_xlsx(path: Path, rows: list[list[Any]] | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    for row in [["name", "phone"], *(rows or [["Karma", "17123456"], ["Pema", "17234567"]])]:
        sheet.append(row)
    book.save(path)
    return path


def _replace_member(source: Path, target: Path, member: str, write: Any) -> Path:
    """``source`` with ``member`` rewritten by ``write(stream)``; everything else as it was."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w",
                                                         zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename == member:
                with new.open(member, "w", force_zip64=True) as stream:
                    write(stream)
            else:
                new.writestr(info, old.read(info.filename))
    return target


def _sheet_xml(body: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetData>{body}</sheetData></worksheet>').encode()


HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>phone</t></is></c></row>')
LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                    for i in range(1, 10)) + "]>")
XXE = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


def _hostile_sheet(kind: str) -> Any:
    """A writer of the hostile sheet XML of ``kind``."""
    if kind == "zip bomb":  # ~300 MB of one repeated row, a few hundred KB compressed
        def bomb(stream: Any) -> None:
            stream.write(_sheet_xml("")[:-len(b"</sheetData></worksheet>")] + HEADER_ROW.encode())
            row = b'<row><c t="inlineStr"><is><t>' + b"A" * 1000 + b"</t></is></c></row>"
            chunk = row * 1000
            for _ in range(300):
                stream.write(chunk)
            stream.write(b"</sheetData></worksheet>")
        return bomb
    bodies = {
        "malformed XML": _sheet_xml(HEADER_ROW + '<row r="2"><c r="A2"')[:-30],
        "non-numeric number cell": _sheet_xml(
            HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>Karma</t></is></c>'
            '<c r="B2" t="n"><v>seventeen</v></c></row>'),
        "billion laughs": _sheet_xml(
            HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>',
            prolog=LAUGHS),
        "external entity": _sheet_xml(
            HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>&x;</t></is></c>'
            '<c r="B2" t="inlineStr"><is><t>17123456</t></is></c></row>', prolog=XXE),
    }
    return lambda stream: stream.write(bodies[kind])


KINDS = ["zip bomb", "malformed XML", "non-numeric number cell", "billion laughs",
         "external entity"]


class HostileFiles(dict):  # type: ignore[type-arg]
    """Built on first use and kept for the module: the zip bomb costs a few seconds to make,
    and one bomb serves both imports (it is refused before anything looks inside)."""

    def __init__(self, folder: Path, good: Path, bombs: dict[str, Path]) -> None:
        super().__init__()
        self.folder, self.good, self.bombs = folder, good, bombs

    def __missing__(self, kind: str) -> Path:
        if kind == "zip bomb" and kind in self.bombs:
            return self.bombs[kind]
        path = _replace_member(self.good, self.folder / f"{kind.replace(' ', '_')}.xlsx",
                               SHEET, _hostile_sheet(kind))
        if kind == "zip bomb":
            self.bombs[kind] = path
        self[kind] = path
        return path


@pytest.fixture(scope="module")
def bombs() -> dict[str, Path]:
    return {}


@pytest.fixture(scope="module")
def hostile_samples(tmp_path_factory, bombs) -> HostileFiles:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("hostile")
    return HostileFiles(folder, _sample_xlsx(folder / "good.xlsx"), bombs)


@pytest.fixture(scope="module")
def hostile_forms(tmp_path_factory, bombs) -> HostileFiles:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("hostile_forms")
    return HostileFiles(folder, write_workbook(folder / "form.xlsx", SURVEY, CHOICES), bombs)


def test_the_zip_bomb_is_small_and_expands_to_hundreds_of_mb(hostile_samples):
    bomb = hostile_samples["zip bomb"]
    with zipfile.ZipFile(bomb) as z:
        expanded = sum(i.file_size for i in z.infolist())
    assert bomb.stat().st_size < 2_000_000 and expanded > 250_000_000


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_sample_workbook_gets_a_clear_4xx_in_bounded_time(ctx, client, make_user,
                                                                    login, hostile_samples,
                                                                    kind):
    make_user("boss", "supervisor")
    seed_service(ctx)
    started = time.monotonic()
    with hostile_samples[kind].open("rb") as stream:
        r = client.post(SAMPLE_URL, headers=login("boss"), data={"service": "CID"},
                        files={"file": ("calls.xlsx", stream)})
    assert time.monotonic() - started < BOUNDED_SECONDS
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert r.json()["detail"] and "root:" not in r.text  # /etc/passwd never read
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0
        assert s.scalar(select(func.count()).select_from(SampleBatch)) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_xlsform_gets_a_clear_4xx_in_bounded_time(ctx, client, make_user, login,
                                                            hostile_forms, kind):
    make_user("boss", "supervisor")
    seed_service(ctx)
    with ctx.sessions() as s:
        before = s.scalar(select(func.count()).select_from(QuestionnaireVersion))
    started = time.monotonic()
    with hostile_forms[kind].open("rb") as stream:
        r = client.post(XLSFORM_URL, headers=login("boss"), data={"service": "CID"},
                        files={"file": ("form.xlsx", stream)})
    assert time.monotonic() - started < BOUNDED_SECONDS
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert r.json()["detail"] and "root:" not in r.text
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(QuestionnaireVersion)) == before


def test_the_reader_refuses_an_over_large_expansion_before_parsing(hostile_samples):
    with pytest.raises(sample_readers.Unprocessable, match="expands to"), \
            sample_readers.open_sheet(hostile_samples["zip bomb"]):
        pass


@pytest.fixture
def cli_ready(tmp_path: Path) -> Cli:
    cli = Cli(tmp_path)
    assert cli("init").returncode == 0
    assert cli("add-service", "CID", "Issuance of New CID Card").returncode == 0
    return cli


def test_the_cli_refuses_hostile_files_without_a_traceback(cli_ready, hostile_samples,
                                                           hostile_forms):
    for command, path in (("import-sample", hostile_samples["non-numeric number cell"]),
                          ("import-questionnaire", hostile_forms["non-numeric number cell"]),
                          ("import-sample", hostile_samples["billion laughs"])):
        result = cli_ready(command, str(path), "--service", "CID")
        assert result.returncode == 2, (command, path.name, result.stderr)
        assert "Traceback" not in result.stderr and "seventeen" not in result.stderr
        assert result.stderr.startswith("cati-server: "), result.stderr


def test_an_oversize_csv_cell_rejects_its_row_not_the_file(ctx, client, make_user, login):
    """Regression: csv's field size limit (128 KiB) made the whole file 'not valid CSV'."""
    make_user("boss", "supervisor")
    seed_service(ctx)
    text = ("name,phone,office\nKarma,17123456,Thimphu\n"
            f"Pema,17234567,{'x' * 200_000}\nDorji,17345678,Paro\n")
    r = client.post(SAMPLE_URL, headers=login("boss"), data={"service": "CID"},
                    files={"file": ("calls.csv", io.BytesIO(text.encode()))})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["imported"], body["rejected"]) == (2, 1), body
    assert body["problems"][0]["row"] == 3 and "too large" in body["problems"][0]["reason"]
    assert len(body["problems"][0]["value"]) < 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's write lock
def test_sqlite_import_parses_before_it_takes_the_write_lock(ctx, client, make_user, login,
                                                             tmp_path, monkeypatch):
    """While the file is parsed, another writer (a push, say) still gets the database."""
    make_user("boss", "supervisor")
    seed_service(ctx)
    path = _sample_xlsx(tmp_path / "calls.xlsx")
    wrote_during_parse: list[bool] = []
    real_rows = sample_readers._xlsx_rows

    def slow_rows(*args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        for row in real_rows(*args, **kwargs):
            wrote_during_parse.append(_can_write_now(ctx))
            yield row

    monkeypatch.setattr(sample_readers, "_xlsx_rows", slow_rows)
    with path.open("rb") as stream:
        r = client.post(SAMPLE_URL, headers=login("boss"), data={"service": "CID"},
                        files={"file": ("calls.xlsx", stream)})
    assert r.status_code == 200 and r.json()["imported"] == 2, r.text
    assert wrote_during_parse and all(wrote_during_parse)


def _can_write_now(ctx) -> bool:  # type: ignore[no-untyped-def]
    """Can another connection begin a write transaction right now (without waiting)?"""
    result: list[bool] = []

    def attempt() -> None:
        import sqlite3

        conn = sqlite3.connect(ctx.engine.url.database, timeout=0.2, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            result.append(True)
        except sqlite3.OperationalError:
            result.append(False)
        finally:
            conn.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(5)
    return bool(result and result[0])


def test_illegal_text_in_a_call_list_is_cleaned_on_the_way_in(ctx, client, make_user, login):
    """A NUL (PostgreSQL refused the whole import: 422 "a number … out of range") and a pasted
    vertical tab (every later workbook export failed) in a name or office."""
    make_user("boss", "supervisor")
    seed_service(ctx)
    # past the first 64 KiB, where a NUL is taken as the mark of a binary file, not a list
    filler = "".join(f"Person {i},17{300000 + i},Haa\n" for i in range(2800))
    text = ("name,phone,office\n" + filler
            + "Kar\x00ma,17123456,Thim\x0bphu\nPema,17234567,Paro\n")
    assert text.index("\x00") > 64 * 1024
    r = client.post(SAMPLE_URL, headers=login("boss"), data={"service": "CID"},
                    files={"file": ("calls.csv", io.BytesIO(text.encode()))})
    assert r.status_code == 200 and r.json()["imported"] == 2802, r.text
    with ctx.sessions() as s:
        stored = dict(s.execute(select(Case.respondent_name, Case.office)
                                .where(Case.office != "Haa")).all())
    assert stored == {"Karma": "Thim\nphu", "Pema": "Paro"}
