"""POST /v1/samples/import: the upload of a call list (both backends)."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select

from cati_app.core.protocol import Role
from cati_app.server.app import create_app
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import Case, SampleBatch
from tests.support.factories import assert_error, seed_cid_service

CSV_WITH_BAD_ROWS = (
    "Name,Phone,Office,Colour\n"
    "Karma Dorji,17 12 34 56,Thimphu,blue\n"
    ",17 22 33 44,Paro,red\n"  # row 3: no name
    "Pema Choden,12345,Paro,green\n"  # row 4: phone too short
    "Sonam Wangmo,+975 77 65 43 21,Haa,\n"
)


@pytest.fixture
def sup(make_user: Callable[..., int], login: Callable[..., dict[str, str]],
        ctx: AppContext) -> dict[str, str]:
    make_user("sup", Role.supervisor)
    seed_cid_service(ctx)
    return login("sup")


def upload(client: TestClient, headers: dict[str, str], content: bytes,
           filename: str = "calls.csv", **form: str) -> Any:
    return client.post("/v1/samples/import", headers=headers,
                       files={"file": (filename, content, "application/octet-stream")},
                       data={"service": "CID", **form})


def test_csv_imports_good_rows_and_reports_the_bad_ones(
        client: TestClient, ctx: AppContext, sup: dict[str, str]) -> None:
    response = upload(client, sup, CSV_WITH_BAD_ROWS.encode(), batch_name="June list")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["imported"], body["rejected"], body["service_code"]) == (2, 2, "CID")
    assert body["ignored_columns"] == ["Colour"]
    assert [(p["row"], p["column"], p["value"]) for p in body["problems"]] == [
        (3, "Name", ""), (4, "Phone", "12345")]
    assert all(p["reason"] for p in body["problems"])
    with transaction(ctx.sessions) as session:
        batch = session.get_one(SampleBatch, body["batch_id"])
        assert (batch.name, batch.rows_imported, batch.rows_rejected) == ("June list", 2, 2)
        phones = session.scalars(select(Case.phone1).where(Case.batch_id == batch.id)
                                 .order_by(Case.id)).all()
    assert phones == ["+97517123456", "+97577654321"]


def test_xlsx_upload_is_read_as_a_workbook(client: TestClient, sup: dict[str, str]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "phone"])
    sheet.append(["Tashi Phuntsho", "17111222"])
    data = BytesIO()
    book.save(data)
    response = upload(client, sup, data.getvalue(), filename="people.xlsx")
    assert response.status_code == 200, response.text
    assert (response.json()["imported"], response.json()["batch_name"][:11]) == (
        1, "people.xlsx")


def test_unreadable_or_unusable_uploads_import_nothing(
        client: TestClient, ctx: AppContext, sup: dict[str, str]) -> None:
    no_phone = assert_error(upload(client, sup, b"name,office\nKarma,Paro\n"), 422)
    assert "phone" in no_phone["detail"]
    old_excel = assert_error(upload(client, sup, b"\xd0\xcf\x11\xe0" + b"\0" * 64,
                                    filename="calls.xls"), 422)
    assert ".xlsx" in old_excel["detail"]
    unknown = assert_error(upload(client, sup, CSV_WITH_BAD_ROWS.encode(), service="NOPE"), 404)
    assert "NOPE" in unknown["detail"]
    missing = client.post("/v1/samples/import", headers=sup, data={"service": "CID"})
    assert_error(missing, 422)
    with transaction(ctx.sessions) as session:
        assert session.scalars(select(SampleBatch)).all() == []


def test_a_path_in_the_file_name_is_not_followed(client: TestClient,
                                                 sup: dict[str, str]) -> None:
    response = upload(client, sup, CSV_WITH_BAD_ROWS.encode(), filename="../../etc/x.csv")
    assert response.status_code == 200, response.text
    assert response.json()["batch_name"].startswith("x.csv ")


def test_oversize_upload_is_refused_before_import(ctx: AppContext, sup: dict[str, str]) -> None:
    small = ctx.settings.model_copy(update={"max_body_bytes": 2048})
    with TestClient(create_app(small, ctx=ctx)) as limited:
        big = CSV_WITH_BAD_ROWS.encode() + b"Dorji,17000000,Paro,x\n" * 200
        refused = assert_error(upload(limited, sup, big), 413)
    assert refused["error"] == "payload_too_large"
    with transaction(ctx.sessions) as session:
        assert session.scalars(select(SampleBatch)).all() == []
