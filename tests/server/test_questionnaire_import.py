"""XLSForm import through the route (SQLite and PostgreSQL) and the ``cati-server
import-questionnaire`` command: a good workbook becomes the service's next version and reaches
enumerators through sync; a broken one imports nothing and lists every problem with its sheet,
row and column. Also: a draft on the device finishes on the version it started."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select

from cati_app.client.store import LocalStore
from cati_app.core.clock import FixedClock
from cati_app.core.protocol import CaseUpsert, Role
from cati_app.core.questionnaire import default_questionnaire
from cati_app.server.context import AppContext
from cati_app.server.models import QuestionnaireVersion, Service
from tests.client.helpers import queue_case
from tests.support.cli import Cli
from tests.support.constants import TUESDAY_10AM
from tests.support.factories import assert_error, seed_cid_service
from tests.support.workbooks import BROKEN, SHIPPED, SURVEY, write_workbook

URL = "/v1/admin/questionnaires/xlsform"


def upload(client: TestClient, path: Path, service: str, headers: dict[str, str]) -> Any:
    with path.open("rb") as stream:
        return client.post(URL, files={"file": (path.name, stream)}, data={"service": service},
                           headers=headers)


def versions(ctx: AppContext) -> list[tuple[str, int]]:
    with ctx.sessions() as session:
        return list(session.execute(select(QuestionnaireVersion.qid, QuestionnaireVersion.version)
                                    .order_by(QuestionnaireVersion.id)).all())


def test_a_good_workbook_becomes_the_next_version_and_reaches_enumerators(
        client: TestClient, ctx: AppContext, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]], tmp_path: Path) -> None:
    seed_cid_service(ctx)
    make_user("sup", Role.supervisor)
    make_user("enum", Role.enumerator)
    enumerator = login("enum")
    reply = upload(client, write_workbook(tmp_path / "set v2.xlsx", SURVEY), "cid",
                   login("sup"))
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert (body["service_code"], body["questionnaire_id"], body["version"], body["items"],
            body["languages"]) == ("CID", "set", 2, 5, ["en", "dz"])
    assert [(n["sheet"], n["column"], n["heading"]) for n in body["notes"]] == [
        ("survey", "I", "appearance")]
    assert versions(ctx) == [("set", 1), ("set", 2)]

    changes = client.get("/v1/sync/pull", headers=enumerator).json()["changes"]
    assert [c["body"] for c in changes if c["type"] == "questionnaire_available"] == [
        {"questionnaire_id": "set", "version": 2}]
    script = client.get("/v1/questionnaires/set/2", headers=enumerator).json()
    assert [(i["name"], i["type"]) for i in script["items"]] == [
        ("consent", "yes_no"), ("visits", "integer"), ("ways", "select_multiple"),
        ("hours", "decimal"), ("comment", "text")]
    assert script["items"][1]["constraint_message"] == {"en": "At least one"}


def test_a_broken_workbook_imports_nothing_and_lists_every_problem(
        client: TestClient, ctx: AppContext, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]], tmp_path: Path) -> None:
    seed_cid_service(ctx)
    make_user("sup", Role.supervisor)
    reply = upload(client, write_workbook(tmp_path / "broken.xlsx", BROKEN), "CID",
                   login("sup"))
    body = assert_error(reply, 422)
    assert body["error"] == "xlsform_problems"
    assert body["detail"].startswith("the workbook has 5 problem(s); nothing was imported")
    assert [(f["sheet"], f["row"], f["column"]) for f in body["fields"]] == [
        ("survey", 2, "A"), ("survey", 3, "A"), ("survey", 4, "A"), ("survey", 5, "E"),
        ("survey", 6, "B")]
    assert all(f["message"] for f in body["fields"])
    assert versions(ctx) == [("set", 1)]


def test_form_id_switches_the_service_and_version_clashes_are_refused(
        client: TestClient, ctx: AppContext, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]], tmp_path: Path) -> None:
    seed_cid_service(ctx)
    make_user("admin", Role.admin)
    admin = login("admin")
    settings = [["form_id", "version", "form_title"], ["set_cid", 4, "CID script"]]
    path = write_workbook(tmp_path / "cid.xlsx", SURVEY, settings=settings)
    assert upload(client, path, "CID", admin).json()["version"] == 4
    with ctx.sessions() as session:
        assert session.scalar(select(Service.questionnaire_id)) == "set_cid"
    clash = assert_error(upload(client, path, "CID", admin), 409)
    assert "raise the version number" in clash["detail"]
    assert versions(ctx) == [("set", 1), ("set_cid", 4)]


def test_not_a_workbook_and_unknown_services_are_clear_errors(
        client: TestClient, ctx: AppContext, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]], tmp_path: Path) -> None:
    seed_cid_service(ctx)
    make_user("sup", Role.supervisor)
    sup = login("sup")
    text = tmp_path / "script.xlsx"
    text.write_text("type,name\nnote,hello\n", encoding="utf-8")
    body = assert_error(upload(client, text, "CID", sup), 422)
    assert body["fields"][0]["sheet"] == "workbook"
    assert "not an Excel workbook" in body["fields"][0]["message"]
    good = write_workbook(tmp_path / "good.xlsx", SURVEY)
    assert "no service with code 'NOPE'" in assert_error(upload(client, good, "NOPE", sup),
                                                         404)["detail"]
    renamed = tmp_path / "renamed.xlsx"
    book = Workbook()
    book.active.title = "questions"
    book.save(renamed)
    assert "no sheet named 'survey'" in assert_error(upload(client, renamed, "CID", sup),
                                                     422)["detail"]
    untyped = write_workbook(tmp_path / "untyped.xlsx", [["name", "label"], ["a", "A"]])
    assert "there is no type column" in assert_error(upload(client, untyped, "CID", sup),
                                                     422)["detail"]
    assert versions(ctx) == [("set", 1)]


# --- the command line ----------------------------------------------------------------------


def test_cli_imports_a_workbook_and_refuses_a_broken_one(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    assert cli("init").returncode == 0
    assert cli("add-service", "CID", "Issuance of New CID Card").returncode == 0
    done = cli("import-questionnaire", str(SHIPPED), "--service", "cid")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "imported questionnaire set version 2 (21 items; en, dz) for CID"]

    broken = cli("import-questionnaire", str(write_workbook(tmp_path / "b.xlsx", BROKEN)),
                 "--service", "CID")
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    lines = broken.stderr.splitlines()
    assert lines[0] == "cati-server: b.xlsx: 5 problem(s), nothing was imported:"
    assert lines[1].startswith("  survey sheet, row 2, column A (type): type 'calculate'")
    assert lines[2].startswith("  survey sheet, row 3, column A (type): repeats are not")
    missing = cli("import-questionnaire", str(tmp_path / "nope.xlsx"), "--service", "CID")
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert cli.count(select(func.count()).select_from(QuestionnaireVersion)) == 2


# --- the device: a draft stays on its version ----------------------------------------------


def test_a_draft_finishes_on_the_version_it_started(tmp_path: Path, ctx: AppContext) -> None:
    from cati_app.core.protocol import InterviewVersionPayload
    from cati_app.server.services.catalogue.xlsform_reader import import_workbook

    seed_cid_service(ctx)
    with ctx.transaction() as session:
        import_workbook(session, SHIPPED, service_code="CID", at=ctx.clock.now(), by=None)
    v2 = default_questionnaire().model_copy(update={"version": 2})
    store = LocalStore.open(tmp_path / "device.sqlite3", username="enum",
                            clock=FixedClock(TUESDAY_10AM))
    try:
        store.store_claim("g1", [queue_case(1)])
        draft = store.start_interview(1, questionnaire=default_questionnaire(), language="en",
                                      started_at=TUESDAY_10AM, phone_index=0)
        store.save_answer(draft.interview_uuid, "consent", "yes", current_item="consent")
        # sync brings version 2 and the case now points at it
        store.save_questionnaire(v2.model_dump(mode="json"))
        upsert = queue_case(1, questionnaire_version=2)
        store.apply_changes([CaseUpsert(seq=1, case_id=1, assignment_version=1, body=upsert)],
                            "1")
        assert store.open_draft(1).questionnaire_version == 1
        store.finish_interview(draft.interview_uuid, ended_at=TUESDAY_10AM + timedelta(minutes=5))
        [queued] = store.outbox_batch(10, 10**6)
        assert InterviewVersionPayload.model_validate(queued.payload).questionnaire_version == 1
    finally:
        store.close()
