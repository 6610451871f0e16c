"""Import a questionnaire from an XLSForm workbook: pick the .xlsx and a service, then read
either the new version the enumerators will receive, or every problem with its sheet, row and
column (nothing is imported then: fix the workbook and try again)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.client.api import RequestRejected
from cati_app.core.questionnaire.xlsform_sheets import QuestionnaireImportResult, XLSFormProblem
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.table_model import Column, RowTableModel
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
# (parent, title, suggested path) -> the chosen path, or "" when the person cancels
PathChooser = Callable[[QWidget, str, str], str]


def _open_file(parent: QWidget, title: str, start: str) -> str:
    file_filter = translate("QuestionnaireImportDialog",
                            "XLSForm workbooks (*.xlsx);;All files (*)")
    return QFileDialog.getOpenFileName(parent, title, start, file_filter)[0]


def problems_of(error: BaseException) -> list[XLSFormProblem]:
    """The workbook's problems carried by a refused import; [] for any other failure."""
    if not isinstance(error, RequestRejected) or error.error != "xlsform_problems":
        return []
    try:
        return [XLSFormProblem.model_validate(field) for field in error.fields]
    except ValidationError:
        return []


class QuestionnaireImportDialog(QDialog):
    def __init__(self, api: SupervisorApi, runner: BackgroundRunner,
                 services: Sequence[tuple[str, str]], parent: QWidget | None = None, *,
                 choose_file: PathChooser = _open_file) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.choose_file = choose_file
        self.result_reply: QuestionnaireImportResult | None = None
        self.failure: BaseException | None = None
        self.problems = RowTableModel(PROBLEM_COLUMNS, self)
        self.setWindowTitle(self.tr("Import a questionnaire (XLSForm)"))
        self.path = QLineEdit(
            placeholderText=self.tr("an XLSForm workbook: survey and choices sheets"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self.browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        self.service = QComboBox()
        for code, name in services:
            self.service.addItem(f"{code} — {name}", code)
        form = QFormLayout()
        form.addRow(self.tr("Workbook"), file_row)
        form.addRow(self.tr("Service"), self.service)
        self.progress = QProgressBar(textVisible=False)
        self.progress.hide()
        self.summary = QLabel("", objectName="questionnaireImportSummary", wordWrap=True)
        self.table = QTableView()
        self.table.setModel(self.problems)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.import_button = QPushButton(self.tr("Import"), default=True)
        self.import_button.clicked.connect(self.start_import)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(820, 480)

    def browse(self) -> None:
        chosen = self.choose_file(self, self.tr("Choose the XLSForm workbook"),
                                  self.path.text())
        if chosen:
            self.path.setText(chosen)

    def start_import(self) -> None:
        path = Path(self.path.text().strip())
        service = self.service.currentData()
        if not self.path.text().strip() or not path.is_file():
            self.summary.setText(self.tr("Choose the workbook to import first (Browse…)."))
            return
        if not service:
            self.summary.setText(
                self.tr("There is no service to import for: an admin adds services."))
            return
        self.result_reply = self.failure = None
        self.problems.set_rows([])
        self.import_button.setEnabled(False)
        self.progress.setRange(0, 0)  # busy
        self.progress.show()
        self.summary.setText(self.tr("Importing {file}…").format(file=path.name))
        self.runner.run(lambda: self.api.import_questionnaire(path, service),
                        self._imported, self._failed, owner=self)

    def _imported(self, reply: QuestionnaireImportResult) -> None:
        self.result_reply = reply
        self._stop_progress()
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

    def _failed(self, error: BaseException) -> None:
        self.failure = error
        self._stop_progress()
        problems = problems_of(error)
        self.problems.set_rows(problems)
        if problems:
            self.summary.setText(self.tr(
                "⚠ Nothing was imported: the workbook has {count} problem(s), listed below "
                "with their sheet, row and column. Correct them and import again.").format(
                    count=len(problems)))
        else:
            self.summary.setText(self.tr("⚠ Nothing was imported: {error}").format(error=error))

    def _stop_progress(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.hide()
        self.import_button.setEnabled(True)
