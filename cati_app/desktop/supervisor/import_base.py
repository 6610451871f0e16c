"""What every import dialog shares: choose a file (and a service, unless the file names each
row's), send it on the background runner with a busy bar, then show the server's answer and
its problem table. A subclass says what it sends and how it reads the reply (``send``,
``show_result``, ``show_failure``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

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

from cati_app.desktop.table_model import Column, RowTableModel
from cati_app.desktop.worker import BackgroundRunner

Problem = TypeVar("Problem")
Reply = TypeVar("Reply")
# (parent, title, suggested path) -> the chosen path, or "" when the person cancels
PathChooser = Callable[[QWidget, str, str], str]


def file_opener(file_filter: str) -> PathChooser:
    """A chooser showing the system's open-file dialog with that filter."""
    def choose(parent: QWidget, title: str, start: str) -> str:
        return QFileDialog.getOpenFileName(parent, title, start, file_filter)[0]
    return choose


class ImportDialog(QDialog, Generic[Problem, Reply]):
    """The layout, top to bottom: the form (file, service and a subclass's rows), the busy
    bar, the summary, the problem table, the buttons (a subclass's on the left)."""

    #: how far the window opens; the problem table is what needs the room
    SIZE = (760, 480)

    def __init__(self, runner: BackgroundRunner, services: Sequence[tuple[str, str]] | None,
                 problem_columns: list[Column[Problem]], parent: QWidget | None, *,
                 choose_file: PathChooser) -> None:
        super().__init__(parent)
        self.runner = runner
        self.choose_file = choose_file
        self.problems: RowTableModel[Problem] = RowTableModel(problem_columns, self)
        self.path = QLineEdit()
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self.browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(browse)
        self.service = QComboBox()
        for code, name in services or ():
            self.service.addItem(f"{code} — {name}", code)
        self.form = QFormLayout()
        self.form.addRow(self.file_label(), file_row)
        if services is not None:  # None: the file says the service of each row (a frame)
            self.form.addRow(self.tr("Service"), self.service)
        self.needs_service = services is not None
        self.progress = QProgressBar(textVisible=False)
        self.progress.hide()
        self.summary = QLabel("", wordWrap=True)
        self.table = QTableView()
        self.table.setModel(self.problems)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(
            len(problem_columns) - 1, QHeaderView.ResizeMode.Stretch)
        self.import_button = QPushButton(self.tr("Import"), default=True)
        self.import_button.clicked.connect(self.start_import)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.import_button)
        self.buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(self.buttons)
        self.resize(*self.SIZE)

    # --- what a subclass says ----------------------------------------------------------------

    def file_label(self) -> str:
        return self.tr("File")

    def choose_title(self) -> str:
        return self.tr("Choose the file to import")

    def missing_file_text(self) -> str:
        return self.tr("Choose the file to import first (Browse…).")

    def no_service_text(self) -> str:
        return self.tr("There is no service to import into: an admin adds services.")

    def upload(self, path: Path, service: str) -> Callable[[], Reply]:
        """The call the background runner makes. Called on the UI thread, so a subclass reads
        its own fields here, never inside the call."""
        raise NotImplementedError

    def show_result(self, reply: Reply) -> None:
        raise NotImplementedError

    def show_failure(self, error: BaseException) -> None:
        self.summary.setText(self.tr("⚠ Nothing was imported: {error}").format(error=error))

    def clear_result(self) -> None:
        """Forget the last import's answer before the next one starts."""
        self.problems.set_rows([])

    # --- the shared flow ---------------------------------------------------------------------

    def browse(self) -> None:
        chosen = self.choose_file(self, self.choose_title(), self.path.text())
        if chosen:
            self.path.setText(chosen)

    def start_import(self) -> None:
        typed = self.path.text().strip()
        path = Path(typed)
        service = self.service.currentData()
        if not typed or not path.is_file():
            self.summary.setText(self.missing_file_text())
            return
        if self.needs_service and not service:
            self.summary.setText(self.no_service_text())
            return
        self.clear_result()
        self.import_button.setEnabled(False)
        self.progress.setRange(0, 0)  # busy: the server reads and checks the whole file
        self.progress.show()
        self.summary.setText(self.tr("Importing {file}…").format(file=path.name))
        self.runner.run(self.upload(path, str(service or "")), self._imported, self._failed,
                        owner=self)

    def _imported(self, reply: Reply) -> None:
        self._stop_progress()
        self.show_result(reply)

    def _failed(self, error: BaseException) -> None:
        self._stop_progress()
        self.show_failure(error)

    def _stop_progress(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.hide()
        self.import_button.setEnabled(True)
