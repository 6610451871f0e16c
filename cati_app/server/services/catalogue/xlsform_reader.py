"""Questionnaires from XLSForm workbooks: read the survey, choices and settings sheets with
openpyxl (read-only, values only) into plain ``Sheet``s, convert them in core
(``cati_app.core.questionnaire.xlsform``) and store the result as a new version for a service.

Used by ``cati-server import-questionnaire`` and ``POST /v1/admin/questionnaires/xlsform``. Any
problem stops the import before anything is written, and the caller gets all of them at once.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import IO

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati_app.core.questionnaire.xlsform import convert
from cati_app.core.questionnaire.xlsform_sheets import (
    QuestionnaireImportResult,
    Sheet,
    XLSFormError,
    XLSFormProblem,
)
from cati_app.core.safe_text import clean_text
from cati_app.server.audit import audit
from cati_app.server.errors import Unprocessable
from cati_app.server.models import QuestionnaireVersion
from cati_app.server.services.cases.sample_readers import (
    BROKEN_WORKBOOK,
    WorksheetRows,
    check_expansion,
)
from cati_app.server.services.catalogue import catalogue

SHEETS = ("survey", "choices", "settings")
#: a questionnaire of a thousand items is well under 1 MB unpacked
MAX_XLSFORM_EXPANDED = 16 * 1024 * 1024


class WorkbookProblems(Unprocessable):
    """422 whose ``fields`` are the problems, each with sheet, row, column and message."""

    error = "xlsform_problems"

    def __init__(self, problems: list[XLSFormProblem]) -> None:
        super().__init__(f"the workbook has {len(problems)} problem(s); nothing was imported. "
                         f"First: {problems[0]}", fields=[p.model_dump() for p in problems])
        self.problems = problems


def read_sheets(source: str | Path | IO[bytes]) -> dict[str, Sheet]:
    """The XLSForm sheets of a workbook, keyed by lower-case name; other sheets are skipped.
    A damaged or hostile workbook (malformed XML, a DTD or entity, a zip bomb, a number cell
    holding text) is one problem, raised before anything is written; its content is never
    quoted."""
    try:
        check_expansion(source, "the workbook", MAX_XLSFORM_EXPANDED)
    except Unprocessable as exc:
        raise WorkbookProblems([XLSFormProblem(sheet="workbook", message=exc.detail)]) from None
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except BROKEN_WORKBOOK as exc:
        raise _unreadable("this is not an Excel workbook (.xlsx) that can be read", exc
                          ) from None
    try:
        return {sheet.title.strip().lower(): _read_sheet(sheet)
                for sheet in workbook.worksheets if sheet.title.strip().lower() in SHEETS}
    finally:
        workbook.close()


def _read_sheet(sheet: WorksheetRows) -> Sheet:
    rows: list[tuple[object, ...]] = []
    try:
        for row in sheet.iter_rows(values_only=True):
            # labels and hints reach the exports: text illegal in XML is cleaned on the way in
            rows.append(tuple(clean_text(c) if isinstance(c, str) else c for c in row))
    except BROKEN_WORKBOOK as exc:
        raise _unreadable(f"sheet {sheet.title!r} cannot be read past row {len(rows)}: it is "
                          "damaged or not a plain workbook", exc) from None
    return Sheet.from_values(sheet.title, rows)


def _unreadable(what: str, exc: BaseException) -> WorkbookProblems:
    return WorkbookProblems([XLSFormProblem(
        sheet="workbook", message=f"{what} ({type(exc).__name__}); open it in Excel and "
                                  "save it again")])


def import_workbook(session: Session, source: str | Path | IO[bytes] | dict[str, Sheet], *,
                    service_code: str, at: datetime, by: int | None
                    ) -> QuestionnaireImportResult:
    """Store the workbook as the next version of the service's questionnaire.

    The questionnaire id is the settings' ``form_id``, else the service's current one; when it
    differs, the service is switched to it (its next claims carry the new script). The version
    is the settings' ``version``, else one above the newest stored. ``source`` may be the
    sheets already read (``read_sheets``), so the caller parses before its transaction.
    """
    service = catalogue.service_by_code(session, service_code)
    sheets = source if isinstance(source, dict) else read_sheets(source)
    try:
        definition, notes = convert(sheets, default_id=service.questionnaire_id,
                                    next_version=lambda qid: _newest(session, qid) + 1)
    except XLSFormError as exc:
        raise WorkbookProblems(exc.problems) from None
    row = catalogue.add_questionnaire_version(session, definition, at=at, by=by)
    if service.questionnaire_id != row.qid:
        audit(session, at=at, user_id=by, action="service.questionnaire", entity="service",
              entity_id=service.id, details={"from": service.questionnaire_id, "to": row.qid})
        service.questionnaire_id = row.qid
    return QuestionnaireImportResult(
        service_code=service.code, questionnaire_id=row.qid, version=row.version,
        items=len(definition["items"]), languages=definition["languages"], notes=notes)


def _newest(session: Session, qid: str) -> int:
    return session.scalar(select(func.max(QuestionnaireVersion.version))
                          .where(QuestionnaireVersion.qid == qid)) or 0
