"""``cati-server`` run as a person runs it: a subprocess against a temp SQLite database named by
CATI_DATABASE_URL. Mistakes exit 2 with one line on stderr, never a traceback."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from sqlalchemy import func, select

from cati_app.server.migrate import head_revision
from cati_app.server.models import Case, QuestionnaireVersion, SampleBatch, Service, User
from tests.support.cli import Cli

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


@pytest.fixture
def ready(cli: Cli) -> Cli:
    assert cli("init").returncode == 0
    return cli


def assert_person_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"cati-server: {message}"), result.stderr
    assert "Traceback" not in result.stderr


def test_init_migrates_and_loads_the_questionnaire_once(cli):
    first = cli("init")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"database ready: sqlite:///{cli.database} (schema {head_revision()})",
        "loaded questionnaire set version 1"]
    again = cli("init")
    assert again.returncode == 0
    assert "loaded questionnaire" not in again.stdout
    assert cli.count(select(func.count()).select_from(QuestionnaireVersion)) == 1


def test_commands_before_init_say_to_run_init(cli):
    for args in (("add-service", "CID", "Card"), ("serve", "--port", "1"),
                 ("import-sample", "x.csv", "--service", "CID")):
        assert_person_error(cli(*args), f"the database sqlite:///{cli.database} is not set "
                            "up for this version of the server: run `cati-server init` first")


def test_create_user_reads_the_password_from_stdin(ready):
    made = ready("create-user", "enum9", "--role", "enumerator", "--full-name", "Karma Dorji",
                 stdin="a good password\n")
    assert (made.returncode, made.stdout) == (0, "created enumerator enum9\n")
    with ready.session() as session:
        user = session.scalars(select(User)).one()
        assert (user.username, user.role, user.full_name) == ("enum9", "enumerator",
                                                              "Karma Dorji")
        assert PasswordHasher().verify(user.password_hash, "a good password")
    assert_person_error(ready("create-user", "enum9", "--role", "analyst", stdin="another one\n"),
                        "the username 'enum9' is taken")
    assert_person_error(ready("create-user", "x", "--role", "admin", stdin="short\n"),
                        "an administrator's password needs at least 12 characters")
    wrong_role = ready("create-user", "x", "--role", "boss", stdin="long enough\n")
    assert wrong_role.returncode == 2 and "invalid choice: 'boss'" in wrong_role.stderr


def test_create_an_agency_account_with_its_agency(ready):
    assert_person_error(ready("create-user", "dcrc", "--role", "agency",
                              stdin="a good password\n"), "an agency account needs its agency")
    made = ready("create-user", "dcrc", "--role", "agency", "--agency", "DCRC",
                 stdin="a good password\n")
    assert (made.returncode, made.stdout) == (0, "created agency dcrc\n")
    with ready.session() as session:
        assert session.scalars(select(User.agency)).one() == "DCRC"
    assert_person_error(ready("create-user", "ana", "--role", "analyst", "--agency", "DCRC",
                              stdin="a good password\n"), "only an agency account has an agency")


def test_add_service_and_its_duplicate(ready):
    added = ready("add-service", "mimo", "Move-in/Move-out", "--agency", "DCRC")
    assert (added.returncode, added.stdout) == (0, "added service MIMO: Move-in/Move-out\n")
    assert_person_error(ready("add-service", "MIMO", "Again"),
                        "the service code 'MIMO' exists already")
    with ready.session() as session:
        assert session.scalars(select(Service.agency)).all() == ["DCRC"]


def test_import_sample_reports_beside_the_file_or_where_asked(ready, tmp_path):
    ready("add-service", "CID", "Issuance of New CID Card")
    calls = tmp_path / "may calls.csv"
    calls.write_text("Name;Phone;Priority\nKarma;17123456;60\nPema;12;\nSonam;77123456;\n",
                     encoding="utf-8")
    result = ready("import-sample", str(calls), "--service", "cid", "--batch", "May")
    assert result.returncode == 0, result.stderr
    beside = tmp_path / "may calls.rejected.csv"
    assert result.stdout.splitlines() == ["imported 2, rejected 1",
                                          f"report of rejected rows: {beside}"]
    assert beside.read_text(encoding="utf-8-sig").splitlines()[1].startswith(
        '3,Phone,12,"too short for a Bhutanese number (2 digits)')

    elsewhere = tmp_path / "out" / "rejects.csv"
    elsewhere.parent.mkdir()
    again = ready("import-sample", str(calls), "--service", "CID", "--report", str(elsewhere))
    assert again.stdout.splitlines()[0] == "imported 0, rejected 3"  # all already queued
    assert len(elsewhere.read_text(encoding="utf-8-sig").splitlines()) == 4
    with ready.session() as session:
        names = session.scalars(select(SampleBatch.name).order_by(SampleBatch.id)).all()
    assert names[0] == "May"
    # without --batch, the file name and the import time in Thimphu
    assert re.fullmatch(r"may calls\.csv \(\d{4}-\d\d-\d\d \d\d:\d\d\)", names[1])


def test_import_sample_errors_import_nothing(ready, tmp_path):
    ready("add-service", "CID", "Issuance of New CID Card")
    no_phone = tmp_path / "list.csv"
    no_phone.write_text("name,mobile\nKarma,17123456\n", encoding="utf-8")
    assert_person_error(ready("import-sample", str(no_phone), "--service", "CID"),
                        "list.csv has no phone column")
    assert_person_error(ready("import-sample", str(no_phone), "--service", "XYZ"),
                        "no service with code 'XYZ'")
    picture = tmp_path / "list.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert_person_error(ready("import-sample", str(picture), "--service", "CID"),
                        "list.png is neither a CSV file nor an XLSX workbook")
    good = tmp_path / "good.csv"
    good.write_text("name,phone\nKarma,17123456\n", encoding="utf-8")
    assert_person_error(ready("import-sample", str(good), "--service", "CID",
                              "--report", str(tmp_path / "no such folder" / "r.csv")),
                        "cannot write the report")
    assert ready.count(select(func.count()).select_from(Case)) == 0
    assert ready.count(select(func.count()).select_from(SampleBatch)) == 0


def test_demo_twice_seeds_once(cli):
    first = cli("demo")
    assert first.returncode == 0, first.stderr
    assert "demo data created: " in first.stdout
    assert "  enum1    enumerator  password: serve-demo" in first.stdout.splitlines()
    second = cli("demo")
    assert second.returncode == 0
    assert "demo data already present" in second.stdout
    assert "  admin    admin       password: serve-demo" in second.stdout.splitlines()
    # 300 from the call lists, 20 from the first replicate of the demo draw
    demo_sample = select(SampleBatch.id).where(SampleBatch.name == "Demo sample")
    assert cli.count(select(func.count()).select_from(Case).where(
        Case.batch_id.in_(demo_sample))) == 320
    assert cli.count(select(func.count()).select_from(User)) == 5


def test_export_agency_writes_the_scorecard_workbook(cli, tmp_path):
    assert cli("demo").returncode == 0
    out = tmp_path / "dcrc.xlsx"
    agency = "Department of Civil Registration and Census"
    result = cli("export", str(out), "--agency", agency)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {out}: ") and agency in result.stdout
    book = load_workbook(out, read_only=True)
    assert "Quarters" in book.sheetnames and "Methodology" in book.sheetnames
    texts = " ".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True)
                     for v in row if v is not None)
    assert "Mongar Dzongkhag Civil Registration Office" in texts
    assert "Demo respondent" not in texts and "+975" not in texts
    assert_person_error(cli("export", str(out), "--agency", "Nobody"),
                        "no service belongs to the agency 'Nobody'")
    assert_person_error(cli("export", str(out), "--agency", agency, "--service", "CID"),
                        "--agency writes the agency's whole scorecard")


def test_bad_settings_and_unreachable_databases_are_one_line(cli):
    bad = cli("init", env=cli.env | {"CATI_TOKEN_HOURS": "-1"})
    assert_person_error(bad, "bad server setting:")
    assert "CATI_TOKEN_HOURS: Input should be greater than 0" in bad.stderr
    nowhere = cli("init", env=cli.env | {"CATI_DATABASE_URL": "sqlite:////no/such/dir/x.db"})
    assert_person_error(nowhere, "cannot use the database sqlite:////no/such/dir/x.db: "
                        "unable to open database file")


def test_version():
    result = subprocess.run([sys.executable, "-m", "cati_app.server.cli", "--version"],
                            capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("cati-server ")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.e2e
def test_serve_answers_on_a_loopback_port(ready, tmp_path):
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(ready.command("serve", "--port", str(port)), env=ready.env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v1/sync/hello", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert response.status_code == 401  # serving, and asking for a login
    finally:
        server.terminate()
        server.wait(15)
        log.close()
    # uvicorn finished its shutdown (it then re-raises SIGTERM, so the exit code is -15)
    assert "Finished server process" in (tmp_path / "server.log").read_text()
