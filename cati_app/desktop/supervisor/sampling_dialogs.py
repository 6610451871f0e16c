"""The sampling page's two dialogs (issue 15): import a frame (an agency's register of service
users for a period; rows that cannot be used are listed one problem per line, as the call-list
import lists them) and draw a stratified sample from one, showing the seed the server used so
the same sample can be drawn again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from cati_app.core.protocol_sampling import DrawReport, DrawRequest, FrameImportResult, FrameOut
from cati_app.core.protocol_supervision import ImportProblem
from cati_app.desktop.display import date_edit, python_date
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.supervisor.import_base import ImportDialog, PathChooser, file_opener
from cati_app.desktop.supervisor.import_dialog import PROBLEM_COLUMNS
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.sampling_api import SamplingApi

translate = QCoreApplication.translate
ALLOCATIONS = {
    "proportional": QT_TRANSLATE_NOOP("DrawDialog", "proportional to the eligible rows"),
    "equal": QT_TRANSLATE_NOOP("DrawDialog", "equal in every stratum"),
    "precision": QT_TRANSLATE_NOOP("DrawDialog", "by precision (a margin of error)"),
}


def _open_file(parent: QWidget, title: str, start: str) -> str:
    return file_opener(translate("FrameImportDialog",
                                 "Register extracts (*.csv *.xlsx *.xlsm *.txt);;All files (*)"))(
        parent, title, start)


class FrameImportDialog(ImportDialog[ImportProblem, FrameImportResult]):
    """The file, a name, the agency and (optionally) the period the frame covers."""

    def __init__(self, api: SamplingApi, runner: BackgroundRunner,
                 parent: QWidget | None = None, *, today: date,
                 choose_file: PathChooser = _open_file) -> None:
        super().__init__(runner, None, PROBLEM_COLUMNS, parent, choose_file=choose_file)
        self.api = api
        self.result_reply: FrameImportResult | None = None
        self.setWindowTitle(self.tr("Import a frame"))
        self.path.setPlaceholderText(self.tr("a CSV or XLSX register extract: service, name, "
                                             "phone, office, date_availed, …"))
        self.summary.setObjectName("frameImportSummary")
        self.name = QLineEdit(placeholderText=self.tr("optional: the file name if empty"))
        self.agency = QLineEdit(placeholderText=self.tr("e.g. DCRC"))
        self.limit_period = QCheckBox(self.tr("&Only service availed from"))
        first = today.replace(day=1)
        self.period_start = date_edit(first)
        self.period_end = date_edit(today)
        self.period_start.setEnabled(False)
        self.period_end.setEnabled(False)
        self.limit_period.toggled.connect(self.period_start.setEnabled)
        self.limit_period.toggled.connect(self.period_end.setEnabled)
        period = QHBoxLayout()
        period.addWidget(self.limit_period)
        period.addWidget(self.period_start)
        period.addWidget(QLabel(self.tr("to")))
        period.addWidget(self.period_end)
        period.addStretch(1)
        name_label, agency_label = QLabel(self.tr("&Name")), QLabel(self.tr("&Agency"))
        name_label.setBuddy(self.name)
        agency_label.setBuddy(self.agency)
        self.form.addRow(name_label, self.name)
        self.form.addRow(agency_label, self.agency)
        self.form.addRow(self.tr("Period"), period)

    def file_label(self) -> str:
        return self.tr("Register file")

    def choose_title(self) -> str:
        return self.tr("Choose the register extract")

    def period(self) -> tuple[date | None, date | None]:
        if not self.limit_period.isChecked():
            return None, None
        return python_date(self.period_start.date()), python_date(self.period_end.date())

    def upload(self, path: Path, service: str) -> Callable[[], FrameImportResult]:
        name, agency = self.name.text().strip(), self.agency.text().strip()
        start, end = self.period()
        return lambda: self.api.import_frame(path, name=name, agency=agency,
                                             period_start=start, period_end=end)

    def start_import(self) -> None:
        start, end = self.period()
        if start and end and start > end:
            self.summary.setText(self.tr("The period ends before it starts: correct the dates."))
            return
        super().start_import()

    def clear_result(self) -> None:
        super().clear_result()
        self.result_reply = None

    def show_result(self, reply: FrameImportResult) -> None:
        self.result_reply = reply
        self.problems.set_rows(reply.problems)
        if reply.frame_id is None:
            text = self.tr("Nothing was imported: none of the {read} rows could be used. Each "
                           "problem is listed below; correct the file and import it again.")
        elif reply.problems:
            text = self.tr("Frame {frame} ({name}): {accepted} of {read} rows kept, {rejected} "
                           "not used. Each problem is listed below (rows with no valid number "
                           "are kept: the draw leaves them out).")
        else:
            text = self.tr("Frame {frame} ({name}): {accepted} of {read} rows kept.")
        text = text.format(frame=reply.frame_id, name=reply.name, read=f"{reply.rows_read:,}",
                           accepted=f"{reply.accepted:,}", rejected=f"{reply.rejected:,}")
        if reply.ignored_columns:
            text += " " + self.tr("Columns not used: {columns}.").format(
                columns=", ".join(reply.ignored_columns))
        self.summary.setText(text)


class DrawDialog(QDialog):
    """Enter draws, Escape cancels. After the draw the dialog stays open with the seed the
    server used (written in the audit trail too), so the person can note it."""

    drawn = Signal(DrawReport)

    def __init__(self, api: SamplingApi, runner: BackgroundRunner, frame: FrameOut,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.frame = frame
        self.report: DrawReport | None = None
        self.setWindowTitle(self.tr("Draw a sample from {name}").format(name=frame.name))
        layout = QVBoxLayout(self)
        layout.addLayout(self._form())
        self.busy = QProgressBar(textVisible=False)
        self.busy.setRange(0, 0)
        self.busy.hide()
        self.status = QLabel("", wordWrap=True)
        self.status.setObjectName("drawStatus")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        # the box's own OK button: the box makes it the default, so Enter draws
        self.draw_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.draw_button.setText(self.tr("&Draw"))
        self.buttons.accepted.connect(self.start_draw)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._allocation_changed()
        self.resize(560, 0)

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        self.sample_size = QSpinBox(minimum=1, maximum=1_000_000,
                                    value=min(400, self.frame.rows or 1))
        self.sample_size.setGroupSeparatorShown(True)
        self.allocation = QComboBox()
        for key, text in ALLOCATIONS.items():
            self.allocation.addItem(translate("DrawDialog", text), key)
        self.allocation.currentIndexChanged.connect(lambda _i: self._allocation_changed())
        self.margin = QDoubleSpinBox(minimum=0.01, maximum=2.0, value=0.3, singleStep=0.05)
        self.margin.setSuffix(self.tr(" points on the 1–5 composite"))
        self.by_month = QCheckBox(self.tr("strata by &month availed as well"))
        self.replicates = QSpinBox(minimum=1, maximum=100, value=4)
        self.target = QSpinBox(minimum=0, maximum=1_000_000, value=0)
        self.target.setSpecialValueText(self.tr("none"))  # 0: no target
        self.seed = QLineEdit(placeholderText=self.tr("empty: the server picks one"))
        self.seed.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,18}")))
        self.auto_release = QCheckBox(self.tr("release the next replicate by itself when the "
                                              "released cases are &worked"), checked=True)
        for text, field in ((self.tr("Sample &size"), self.sample_size),
                            (self.tr("&Allocation"), self.allocation),
                            (self.tr("&Margin"), self.margin), ("", self.by_month),
                            (self.tr("&Replicates"), self.replicates),
                            (self.tr("&Target per stratum"), self.target),
                            (self.tr("S&eed"), self.seed), ("", self.auto_release)):
            if text:
                label = QLabel(text)
                label.setBuddy(field)
                form.addRow(label, field)
            else:
                form.addRow(field)
        return form

    def _allocation_changed(self) -> None:
        self.margin.setEnabled(self.allocation.currentData() == "precision")

    def request(self) -> DrawRequest:
        precision = self.allocation.currentData() == "precision"
        seed = self.seed.text().strip()
        return DrawRequest(sample_size=self.sample_size.value(),
                           allocation=self.allocation.currentData(),
                           by_period=self.by_month.isChecked(),
                           margin=self.margin.value() if precision else None,
                           replicates=self.replicates.value(), seed=int(seed) if seed else None,
                           target_per_stratum=self.target.value() or None,
                           auto_release=self.auto_release.isChecked())

    def start_draw(self) -> None:
        request, frame_id = self.request(), self.frame.id
        self.draw_button.setEnabled(False)
        self.busy.show()
        self.status.setText(self.tr("Drawing {n} from {rows} rows…").format(
            n=f"{request.sample_size:,}", rows=f"{self.frame.rows:,}"))
        self.runner.run(lambda: self.api.draw(frame_id, request), self._drawn, self._failed,
                        owner=self)

    def _drawn(self, report: DrawReport) -> None:
        self.busy.hide()
        self.report = report
        self.status.setText(self.tr(
            "Draw {draw}: {sampled} sampled in {strata} strata, dealt into {replicates} "
            "replicates; nothing is called until you release one. Seed used: {seed} (note it "
            "to draw the same sample again).").format(
                draw=report.draw_id, sampled=f"{report.sampled:,}", strata=len(report.strata),
                replicates=report.replicates, seed=report.seed))
        self.draw_button.hide()
        close = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        close.setText(self.tr("Close"))
        close.setDefault(True)
        close.setFocus()
        self.drawn.emit(report)

    def _failed(self, error: BaseException) -> None:
        self.busy.hide()
        self.draw_button.setEnabled(True)
        self.status.setText(self.tr("Not drawn: {reason}").format(reason=error))
