"""Import a questionnaire from an XLSForm workbook: pick the .xlsx and a service, then read
either the new version the enumerators will receive, or every problem with its sheet, row and
column (nothing is imported then: fix the workbook and try again)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from cati_app.client.api import RequestRejected
from cati_app.core.questionnaire.xlsform_sheets import QuestionnaireImportResult, XLSFormProblem
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.supervisor.import_base import ImportDialog, PathChooser, file_opener
from cati_app.desktop.table_model import Column
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi

PROBLEM_COLUMNS: list[Column[XLSFormProblem]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Sheet"), lambda p: p.sheet),
    Column(QT_TRANSLATE_NOOP("Column", "Row"), lambda p: p.row, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Column"),
           lambda p: f"{p.column} ({p.heading})" if p.heading else p.column),
    Column(QT_TRANSLATE_NOOP("Column", "Problem"), lambda p: p.message),
]
translate = QCoreApplication.translate


def _open_file(parent: QWidget, title: str, start: str) -> str:
    return file_opener(translate("QuestionnaireImportDialog",
                                 "XLSForm workbooks (*.xlsx);;All files (*)"))(
        parent, title, start)


def problems_of(error: BaseException) -> list[XLSFormProblem]:
    """The workbook's problems carried by a refused import; [] for any other failure."""
    if not isinstance(error, RequestRejected) or error.error != "xlsform_problems":
        return []
    try:
        return [XLSFormProblem.model_validate(field) for field in error.fields]
    except ValidationError:
        return []


class QuestionnaireImportDialog(ImportDialog[XLSFormProblem, QuestionnaireImportResult]):
    SIZE = (820, 480)

    def __init__(self, api: SupervisorApi, runner: BackgroundRunner,
                 services: Sequence[tuple[str, str]], parent: QWidget | None = None, *,
                 choose_file: PathChooser = _open_file) -> None:
        super().__init__(runner, services, PROBLEM_COLUMNS, parent, choose_file=choose_file)
        self.api = api
        self.result_reply: QuestionnaireImportResult | None = None
        self.failure: BaseException | None = None
        self.setWindowTitle(self.tr("Import a questionnaire (XLSForm)"))
        self.path.setPlaceholderText(self.tr("an XLSForm workbook: survey and choices sheets"))
        self.summary.setObjectName("questionnaireImportSummary")

    def file_label(self) -> str:
        return self.tr("Workbook")

    def choose_title(self) -> str:
        return self.tr("Choose the XLSForm workbook")

    def missing_file_text(self) -> str:
        return self.tr("Choose the workbook to import first (Browse…).")

    def no_service_text(self) -> str:
        return self.tr("There is no service to import for: an admin adds services.")

    def upload(self, path: Path, service: str) -> Callable[[], QuestionnaireImportResult]:
        return lambda: self.api.import_questionnaire(path, service)

    def clear_result(self) -> None:
        super().clear_result()
        self.result_reply = self.failure = None

    def show_result(self, reply: QuestionnaireImportResult) -> None:
        self.result_reply = reply
        self.problems.set_rows(reply.notes)
        text = self.tr(
            "Imported questionnaire {questionnaire} version {version} for {service}: {items} "
            "items in {languages}. Enumerators receive it at their next sync; interviews "
            "already started finish on the version they began with.").format(
                questionnaire=reply.questionnaire_id, version=reply.version,
                service=reply.service_code, items=reply.items,
                languages=", ".join(reply.languages))
        if reply.notes:
            text += " " + self.tr("Ignored, listed below: worth a look.")
        self.summary.setText(text)

    def show_failure(self, error: BaseException) -> None:
        self.failure = error
        problems = problems_of(error)
        self.problems.set_rows(problems)
        if problems:
            self.summary.setText(self.tr(
                "⚠ Nothing was imported: the workbook has {count} problem(s), listed below "
                "with their sheet, row and column. Correct them and import again.").format(
                    count=len(problems)))
        else:
            super().show_failure(error)
