"""Import a call list: pick a CSV/XLSX and a service, watch it go, then read (and save) the
row-by-row report of the rows that were not imported."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QLineEdit, QPushButton, QWidget

from cati_app.core.protocol_supervision import ImportProblem, SampleImportResult
from cati_app.core.safe_csv import SafeCsvWriter
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.supervisor.import_base import ImportDialog, PathChooser, file_opener
from cati_app.desktop.table_model import Column
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi

PROBLEM_COLUMNS: list[Column[ImportProblem]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Row"), lambda p: p.row, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Column"), lambda p: p.column),
    Column(QT_TRANSLATE_NOOP("Column", "Value"), lambda p: p.value),
    Column(QT_TRANSLATE_NOOP("Column", "Reason"), lambda p: p.reason),
]
translate = QCoreApplication.translate


def _open_file(parent: QWidget, title: str, start: str) -> str:
    return file_opener(translate("SampleImportDialog",
                                 "Call lists (*.csv *.xlsx *.xlsm *.txt);;All files (*)"))(
        parent, title, start)


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


class SampleImportDialog(ImportDialog[ImportProblem, SampleImportResult]):
    def __init__(self, api: SupervisorApi, runner: BackgroundRunner,
                 services: Sequence[tuple[str, str]], parent: QWidget | None = None, *,
                 choose_file: PathChooser = _open_file,
                 choose_save: PathChooser = _save_file) -> None:
        super().__init__(runner, services, PROBLEM_COLUMNS, parent, choose_file=choose_file)
        self.api = api
        self.choose_save = choose_save
        self.result_reply: SampleImportResult | None = None
        self.setWindowTitle(self.tr("Import a call list"))
        self.path.setPlaceholderText(self.tr("a CSV or XLSX file with name and phone columns"))
        self.summary.setObjectName("importSummary")
        self.batch_name = QLineEdit(
            placeholderText=self.tr("optional: the file name and time if empty"))
        self.form.addRow(self.tr("Batch name"), self.batch_name)
        self.save_button = QPushButton(self.tr("Save report as CSV…"))
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_report)
        self.buttons.insertWidget(0, self.save_button)

    def choose_title(self) -> str:
        return self.tr("Choose the call list")

    def upload(self, path: Path, service: str) -> Callable[[], SampleImportResult]:
        batch = self.batch_name.text().strip()
        return lambda: self.api.import_sample(path, service, batch)

    def clear_result(self) -> None:
        super().clear_result()
        self.result_reply = None
        self.save_button.setEnabled(False)

    def show_result(self, reply: SampleImportResult) -> None:
        self.result_reply = reply
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
