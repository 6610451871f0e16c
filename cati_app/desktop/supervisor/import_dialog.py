"""Import a call list: pick a CSV/XLSX and a service, watch it go, then read (and save) the
row-by-row report of the rows that were not imported."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

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

from cati_app.core.safe_csv import SafeCsvWriter
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.table_model import Column, RowTableModel
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi
    from cati_app.core.protocol_supervision import ImportProblem, SampleImportResult

PROBLEM_COLUMNS: list[Column[ImportProblem]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Row"), lambda p: p.row, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Column"), lambda p: p.column),
    Column(QT_TRANSLATE_NOOP("Column", "Value"), lambda p: p.value),
    Column(QT_TRANSLATE_NOOP("Column", "Reason"), lambda p: p.reason),
]
translate = QCoreApplication.translate
# (parent, title, suggested path) -> the chosen path, or "" when the person cancels
PathChooser = Callable[[QWidget, str, str], str]


def _open_file(parent: QWidget, title: str, start: str) -> str:
    file_filter = translate("SampleImportDialog",
                            "Call lists (*.csv *.xlsx *.xlsm *.txt);;All files (*)")
    return QFileDialog.getOpenFileName(parent, title, start, file_filter)[0]


def _save_file(parent: QWidget, title: str, start: str) -> str:
    return QFileDialog.getSaveFileName(parent, title, start,
                                       translate("SampleImportDialog", "CSV (*.csv)"))[0]


def write_problems_csv(problems: Sequence[ImportProblem], path: str | Path) -> Path:
    """UTF-8 with a BOM, so Excel shows Dzongkha text correctly."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = SafeCsvWriter(stream)  # a rejected value is never run as a formula
        writer.writerow(["row", "column", "value", "reason"])
        writer.writerows([p.row, p.column, p.value, p.reason] for p in problems)
    return path


class SampleImportDialog(QDialog):
    def __init__(self, api: SupervisorApi, runner: BackgroundRunner,
                 services: Sequence[tuple[str, str]], parent: QWidget | None = None, *,
                 choose_file: PathChooser = _open_file,
                 choose_save: PathChooser = _save_file) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.choose_file = choose_file
        self.choose_save = choose_save
        self.result_reply: SampleImportResult | None = None
        self.problems = RowTableModel(PROBLEM_COLUMNS, self)
        self.setWindowTitle(self.tr("Import a call list"))
        self.path = QLineEdit(
            placeholderText=self.tr("a CSV or XLSX file with name and phone columns"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self.browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        self.service = QComboBox()
        for code, name in services:
            self.service.addItem(f"{code} — {name}", code)
        self.batch_name = QLineEdit(
            placeholderText=self.tr("optional: the file name and time if empty"))
        form = QFormLayout()
        form.addRow(self.tr("File"), file_row)
        form.addRow(self.tr("Service"), self.service)
        form.addRow(self.tr("Batch name"), self.batch_name)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.summary = QLabel("", objectName="importSummary", wordWrap=True)
        self.table = QTableView()
        self.table.setModel(self.problems)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.import_button = QPushButton(self.tr("Import"))
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(self.start_import)
        self.save_button = QPushButton(self.tr("Save report as CSV…"))
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_report)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(760, 480)

    def browse(self) -> None:
        chosen = self.choose_file(self, self.tr("Choose the call list"), self.path.text())
        if chosen:
            self.path.setText(chosen)

    def start_import(self) -> None:
        path = Path(self.path.text().strip())
        service = self.service.currentData()
        if not self.path.text().strip() or not path.is_file():
            self.summary.setText(self.tr("Choose the file to import first (Browse…)."))
            return
        if not service:
            self.summary.setText(
                self.tr("There is no service to import into: an admin adds services."))
            return
        batch = self.batch_name.text().strip()
        self.import_button.setEnabled(False)
        self.progress.setRange(0, 0)  # busy: the server reads and checks every row
        self.progress.show()
        self.summary.setText(self.tr("Importing {file}…").format(file=path.name))
        self.runner.run(lambda: self.api.import_sample(path, service, batch),
                self._imported, self._failed, owner=self)

    def _imported(self, reply: SampleImportResult) -> None:
        self.result_reply = reply
        self._stop_progress()
        self.problems.set_rows(reply.problems)
        self.save_button.setEnabled(bool(reply.problems))
        text = (self.tr("Batch {batch} ({name}): imported {imported} cases; {rejected} rows "
                        "not imported: each problem is listed below; correct the rows and "
                        "import them again.") if reply.rejected else
                self.tr("Batch {batch} ({name}): imported {imported} cases; {rejected} rows "
                        "not imported.")).format(
                    batch=reply.batch_id, name=reply.batch_name,
                    imported=f"{reply.imported:,}", rejected=f"{reply.rejected:,}")
        if reply.ignored_columns:
            text += " " + self.tr("Columns not used: {columns}.").format(
                columns=", ".join(reply.ignored_columns))
        self.summary.setText(text)

    def _failed(self, error: BaseException) -> None:
        self._stop_progress()
        self.summary.setText(self.tr("⚠ Nothing was imported: {error}").format(error=error))

    def _stop_progress(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.hide()
        self.import_button.setEnabled(True)

    def save_report(self) -> Path | None:
        if self.result_reply is None:
            return None
        source = Path(self.path.text().strip())
        suggested = str(source.with_name(source.stem + ".rejected.csv"))
        target = self.choose_save(self, self.tr("Save the rejected rows"), suggested)
        if not target:
            return None
        try:
            saved = write_problems_csv(self.result_reply.problems, target)
        except OSError as exc:
            self.summary.setText(self.tr("⚠ Could not save the report: {error}").format(
                error=exc.strerror or exc))
            return None
        self.summary.setText(self.summary.text() + " "
                             + self.tr("Report saved to {path}.").format(path=saved))
        return saved
