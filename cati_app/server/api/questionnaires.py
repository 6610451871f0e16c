"""Questionnaire authoring route: upload an XLSForm workbook as a new questionnaire version.

Open to supervisors as well as admins: DESIGN.md §3.5 gives questionnaire authoring to
supervisors (the JSON upload of ``/v1/admin/questionnaires`` stays admin-only). The workbook is
small, so it is read straight from the upload; the app's body-size limit still applies.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from cati_app.core.questionnaire.xlsform_sheets import QuestionnaireImportResult
from cati_app.server.deps import Ctx, Supervisor
from cati_app.server.errors import error_responses
from cati_app.server.services.catalogue.xlsform_reader import import_workbook, read_sheets

ERRORS = error_responses(401, 403, 404, 409, 413, 422)
router = APIRouter(prefix="/v1", tags=["questionnaires"], responses=ERRORS)


@router.post("/admin/questionnaires/xlsform", response_model=QuestionnaireImportResult,
             status_code=201)
def import_xlsform(
    ctx: Ctx, user: Supervisor,
    file: Annotated[UploadFile, File(description="the XLSForm workbook (.xlsx)")],
    service: Annotated[str, Form(min_length=1, max_length=32, description="service code")],
) -> QuestionnaireImportResult:
    """Store the workbook as the next version of the service's questionnaire; every enumerator
    is told through sync, and interviews in progress finish on the version they started.

    Any problem imports nothing: 422 with error ``xlsform_problems`` and one entry in
    ``fields`` per problem (sheet, row, column letter, heading, message). 404: unknown service;
    409: the settings sheet names a version that exists already."""
    sheets = read_sheets(file.file)  # parsed before the transaction: no lock held meanwhile
    with ctx.transaction() as session:
        return import_workbook(session, sheets, service_code=service, at=ctx.clock.now(),
                               by=user.id)
