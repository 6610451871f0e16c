"""Questionnaires from XLSForm workbooks: read the survey, choices and settings sheets with
openpyxl (read-only, values only) into plain ``Sheet``s, convert them in core
(``cati_app.core.questionnaire.xlsform``) and store the result as a new version for a service.

Used by ``cati-server import-questionnaire`` and ``POST /v1/admin/questionnaires/xlsform``. Any
problem stops the import before anything is written, and the caller gets all of them at once.
"""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path
from typing import IO

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati_app.core.questionnaire.xlsform import (
    QuestionnaireImportResult,
    Sheet,
    XLSFormError,
    XLSFormProblem,
    convert,
)
from cati_app.server.audit import audit
from cati_app.server.errors import Unprocessable
from cati_app.server.models import QuestionnaireVersion
from cati_app.server.services import catalogue

SHEETS = ("survey", "choices", "settings")


class WorkbookProblems(Unprocessable):
    """422 whose ``fields`` are the problems, each with sheet, row, column and message."""

    error = "xlsform_problems"

    def __init__(self, problems: list[XLSFormProblem]) -> None:
        super().__init__(f"the workbook has {len(problems)} problem(s); nothing was imported. "
                         f"First: {problems[0]}", fields=[p.model_dump() for p in problems])
        self.problems = problems


def read_sheets(source: str | Path | IO[bytes]) -> dict[str, Sheet]:
    """The XLSForm sheets of a workbook, keyed by lower-case name; other sheets are skipped."""
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise WorkbookProblems([XLSFormProblem(
            sheet="workbook", message=f"this is not an Excel workbook (.xlsx) that can be "
            f"read: {exc}")]) from None
    try:
        return {sheet.title.strip().lower(): Sheet.from_values(
                    sheet.title, list(sheet.iter_rows(values_only=True)))
                for sheet in workbook.worksheets if sheet.title.strip().lower() in SHEETS}
    finally:
        workbook.close()


def import_workbook(session: Session, source: str | Path | IO[bytes], *, service_code: str,
                    at: datetime, by: int | None) -> QuestionnaireImportResult:
    """Store the workbook as the next version of the service's questionnaire.

    The questionnaire id is the settings' ``form_id``, else the service's current one; when it
    differs, the service is switched to it (its next claims carry the new script). The version
    is the settings' ``version``, else one above the newest stored.
    """
    service = catalogue.service_by_code(session, service_code)
    try:
        definition, notes = convert(read_sheets(source), default_id=service.questionnaire_id,
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
