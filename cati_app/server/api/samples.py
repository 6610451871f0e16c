"""Supervisor route: upload a call list (CSV or XLSX) and import it as a new sample batch.

Thin: the upload is copied to a temporary file (the readers stream from a path, so a 100,000-row
file never sits in memory) and handed to ``services.cases.sample_import``. The body size limit of
the app (``BodySizeLimit``) refuses an oversize upload before it is read.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from cati_app.core.protocol_admin import SampleBatchOut
from cati_app.server.deps import Ctx, Supervisor
from cati_app.server.errors import error_responses
from cati_app.server.schemas import ImportProblem, SampleImportResult
from cati_app.server.services.cases.batches import list_batches
from cati_app.server.services.cases.sample_import import import_sample
from cati_app.server.services.cases.sample_readers import read_whole

ERRORS = error_responses(401, 403, 404, 413, 422)
router = APIRouter(prefix="/v1", tags=["supervision"], responses=ERRORS)
#: suffixes the readers tell apart; anything else is read as CSV (the readers sniff the bytes)
KNOWN_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


@router.post("/samples/import", response_model=SampleImportResult)
def import_call_list(
    ctx: Ctx, user: Supervisor,
    file: Annotated[UploadFile, File(description="the call list: CSV or XLSX")],
    service: Annotated[str, Form(min_length=1, max_length=32, description="service code")],
    batch_name: Annotated[str | None, Form(max_length=200)] = None,
) -> SampleImportResult:
    """Good rows become queued cases of a new batch; bad rows are listed one problem per line
    (row as numbered in the spreadsheet, column as written, value, reason). A file that cannot
    be read, or lacks the name or phone column, imports nothing (422)."""
    # The file is read whole first, then the transaction opens: on SQLite an import never
    # holds the write lock (every push waits on it) while it parses a file.
    with saved_upload(file) as path, read_whole(path) as sheet, \
            ctx.transaction() as session:
        report = import_sample(session, sheet, service_code=service,
                               batch_name=batch_name or None, at=ctx.clock.now(), by=user.id,
                               reimport_window=ctx.settings.reimport_window)
        return SampleImportResult(
            batch_id=report.batch_id, batch_name=report.batch_name,
            service_code=report.service_code, imported=report.imported,
            rejected=report.rejected, ignored_columns=report.ignored_columns,
            do_not_call_rejected=report.do_not_call_rejected,
            do_not_call_dropped=report.do_not_call_dropped,
            problems=[ImportProblem(row=p.row, column=p.column, value=p.value, reason=p.reason)
                      for p in report.problems])


class saved_upload:  # noqa: N801 - used as a context manager, reads like one
    """The upload in a temporary file named like the original (the report and the batch name
    show that name), removed afterwards."""

    def __init__(self, upload: UploadFile) -> None:
        self.upload = upload
        self.folder: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> Path:
        self.folder = tempfile.TemporaryDirectory(prefix="cati-import-")
        path = Path(self.folder.name) / _safe_name(self.upload.filename)
        with path.open("wb") as out:
            shutil.copyfileobj(self.upload.file, out, length=1024 * 1024)
        return path

    def __exit__(self, *exc: object) -> None:
        assert self.folder is not None
        self.folder.cleanup()


def _safe_name(filename: str | None) -> str:
    """Only the last part of the client's file name, never a path it chose."""
    name = Path((filename or "").replace("\\", "/")).name.strip()
    if not name or name in (".", ".."):
        name = "upload.csv"
    if Path(name).suffix.lower() not in KNOWN_SUFFIXES:
        name += ".csv"
    return name[-120:]


@router.get("/samples/batches", response_model=list[SampleBatchOut])
def sample_batches(ctx: Ctx, _user: Supervisor) -> list[SampleBatchOut]:
    """Every call list imported, newest first, with its cases now (``GET /v1/cases?batch=``
    lists them)."""
    with ctx.read() as session:
        return [SampleBatchOut(id=line.batch.id, name=line.batch.name,
                               service_code=line.service_code,
                               imported_at=line.batch.imported_at,
                               imported_by=line.imported_by,
                               rows_imported=line.batch.rows_imported,
                               rows_rejected=line.batch.rows_rejected, cases=line.cases)
                for line in list_batches(session)]
