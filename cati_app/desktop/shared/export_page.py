"""The analyst's export page: pick services and a range of dates availed, download the summary
workbook (or the raw CSV) with a progress bar, then open it.

The server exports any set of services in one file: the ticked ones (none or every one
ticked: all services), each on its own row of the Summary and all of them together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cati_app.desktop.display import date_edit
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi

SUFFIX = {"summary": ".xlsx", "raw": ".csv"}
# source text, translated where used
FILTERS = {"summary": QT_TRANSLATE_NOOP("ExportPage", "Excel workbook (*.xlsx)"),
           "raw": QT_TRANSLATE_NOOP("ExportPage", "CSV (*.csv)")}
# (parent, title, suggested path, file filter) -> chosen path, or "" when cancelled
SaveChooser = Callable[[QWidget, str, str, str], str]


def _choose_save(parent: QWidget, title: str, start: str, file_filter: str) -> str:
    return QFileDialog.getSaveFileName(parent, title, start, file_filter)[0]


@dataclass(frozen=True)
class Download:
    #: the service codes asked for; empty = all services
    services: tuple[str, ...]
    path: Path


def plan_downloads(chosen: Path, services: Sequence[str], every: Sequence[str]
                   ) -> list[Download]:
    """One file: of all services (none or every one ticked) or of the ticked ones."""
    if not services or set(services) == set(every):
        return [Download((), chosen)]
    return [Download(tuple(services), chosen)]


class ExportPage(QWidget):
    # (file number from 0, bytes so far, total bytes or None); emitted from the worker thread
    progressed = Signal(int, int, object)

    def __init__(self, api: SupervisorApi, runner: BackgroundRunner, today: Callable[[], date],
                 parent: QWidget | None = None, *, choose_save: SaveChooser = _choose_save,
                 open_url: Callable[[QUrl], object] = QDesktopServices.openUrl) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.choose_save = choose_save
        self.open_url = open_url
        self.saved: list[Path] = []
        self.downloads: list[Download] = []
        self.busy = False
        self._cancel = False
        self.progressed.connect(self._show_progress)
        self.services = QListWidget()
        self.services.setMaximumHeight(140)
        self.use_from, self.date_from = QCheckBox(self.tr("from")), date_edit(today())
        self.use_to, self.date_to = QCheckBox(self.tr("to")), date_edit(today())
        dates = QHBoxLayout()
        for widget in (self.use_from, self.date_from, self.use_to, self.date_to):
            dates.addWidget(widget)
        dates.addStretch(1)
        form = QFormLayout()
        form.addRow(self.tr("Services (none ticked: all)"), self.services)
        form.addRow(self.tr("Date availed"), dates)
        self.summary_button = QPushButton(self.tr("Download summary workbook…"))
        self.raw_button = QPushButton(self.tr("Download raw data (CSV)…"))
        self.cancel_button = QPushButton(self.tr("Stop"))
        self.open_button = QPushButton(self.tr("Open"))
        self.summary_button.clicked.connect(lambda: self.download("summary"))
        self.raw_button.clicked.connect(lambda: self.download("raw"))
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button.clicked.connect(self.open_saved)
        self.progress = QProgressBar()
        self.status = QLabel("", objectName="exportStatus", wordWrap=True)
        buttons = QHBoxLayout()
        for button in (self.summary_button, self.raw_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("<h3>Exports</h3>No names or phone numbers are "
                                        "included.")))
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self._set_busy(False)
        self.open_button.setEnabled(False)

    def set_services(self, services: Sequence[tuple[str, str]]) -> None:
        ticked = set(self.chosen_services())
        self.services.clear()
        for code, name in services:
            item = QListWidgetItem(f"{code} — {name}")
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if code in ticked
                               else Qt.CheckState.Unchecked)
            self.services.addItem(item)

    def all_services(self) -> list[str]:
        return [self.services.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.services.count())]

    def chosen_services(self) -> list[str]:
        return [self.services.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.services.count())
                if self.services.item(i).checkState() == Qt.CheckState.Checked]

    def tick(self, codes: Sequence[str]) -> None:
        for i in range(self.services.count()):
            item = self.services.item(i)
            item.setCheckState(Qt.CheckState.Checked
                               if item.data(Qt.ItemDataRole.UserRole) in codes
                               else Qt.CheckState.Unchecked)

    def date_range(self) -> tuple[date | None, date | None]:
        first = self.date_from.date().toPython() if self.use_from.isChecked() else None
        last = self.date_to.date().toPython() if self.use_to.isChecked() else None
        return first, last  # type: ignore[return-value]

    # --- downloading -----------------------------------------------------------------------

    def download(self, kind: str) -> list[Download]:
        first, last = self.date_range()
        if first and last and first > last:
            self.status.setText(self.tr("The 'from' date is after the 'to' date: swap them."))
            return []
        chosen = self.choose_save(self, self.tr("Save the export as"),
                                  str(Path.home() / f"serve-summary{SUFFIX[kind]}"
                                      if kind == "summary" else Path.home() / "serve-raw.csv"),
                                  QCoreApplication.translate("ExportPage", FILTERS[kind]))
        if not chosen:
            return []
        path = Path(chosen)
        if path.suffix.lower() != SUFFIX[kind]:
            path = path.with_name(path.name + SUFFIX[kind])
        self.downloads = plan_downloads(path, self.chosen_services(), self.all_services())
        downloads = list(self.downloads)
        self._cancel = False
        self._set_busy(True)
        self.status.setText(self.tr("The server is building the export…"))

        def job() -> list[Path]:
            return [self.api.download_export(
                kind, d.path, services=d.services, date_from=first, date_to=last,
                progress=partial(self.progressed.emit, n),
                cancelled=lambda: self._cancel) for n, d in enumerate(downloads)]

        self.runner.run(job, self._downloaded, self._failed, owner=self)
        return downloads

    def cancel(self) -> None:
        self._cancel = True

    def _show_progress(self, number: int, done: int, total: int | None) -> None:
        of = (" " + self.tr("(file {number} of {count})").format(
            number=number + 1, count=len(self.downloads)) if len(self.downloads) > 1 else "")
        if total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(done * 1000 / total))
            text = self.tr("Downloading{file}: {done} of {total} MB").format(
                file=of, done=f"{done / 1e6:.1f}", total=f"{total / 1e6:.1f}")
        else:
            self.progress.setRange(0, 0)  # the server did not say how much: busy
            text = self.tr("Downloading{file}: {done} MB").format(file=of,
                                                                  done=f"{done / 1e6:.1f}")
        self.status.setText(text)

    def _downloaded(self, paths: list[Path]) -> None:
        self.saved = paths
        self._set_busy(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.open_button.setEnabled(True)
        self.open_button.setText(self.tr("Open") if len(paths) == 1
                                 else self.tr("Open all {count}").format(count=len(paths)))
        self.status.setText(self.tr("Saved: {paths}. Press Open to look at it.").format(
            paths=", ".join(str(p) for p in paths)))

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText(self.tr("⚠ Not saved: {error}").format(error=error))

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.summary_button.setEnabled(not busy)
        self.raw_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def open_saved(self) -> None:
        for path in self.saved:
            self.open_url(QUrl.fromLocalFile(str(path)))
