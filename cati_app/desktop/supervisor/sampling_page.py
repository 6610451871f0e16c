"""The supervisor's Sampling tab (issue 15): the frames imported, the draws of the selected
frame, and the selected draw's sample report per stratum (frame rows, eligible, exclusions,
allocated, π, released, completes against the target). From here a supervisor imports a frame,
draws a sample and releases the next replicate to the call queue after a confirmation that says
how many cases go and which strata are skipped. Every call runs off the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.core.protocol_sampling import DrawReport, FrameOut, ReleaseResult, StratumReport
from cati_app.desktop.supervisor.sampling_dialogs import DrawDialog, FrameImportDialog
from cati_app.desktop.supervisor.sampling_model import (
    DRAW_COLUMNS,
    FRAME_COLUMNS,
    REACHED,
    STRATUM_COLUMNS,
    exclusions,
    next_replicate,
    stratum_name,
)
from cati_app.desktop.table_model import RowTableModel
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.sampling_api import SamplingApi


class SamplingPage(QWidget):
    #: cases were released to the call queue (the dashboard and case list show them)
    changed = Signal()

    def __init__(self, api: SamplingApi, runner: BackgroundRunner,
                 today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.today = today
        self.question: QMessageBox | None = None
        #: the draw to select once the selected frame's draws are loaded
        self.pending_draw: int | None = None
        #: calls on their way: the busy bar shows while there is one
        self.calls = 0
        self.dialog: FrameImportDialog | DrawDialog | None = None
        self.frames: RowTableModel[FrameOut] = RowTableModel(FRAME_COLUMNS, self)
        self.draws: RowTableModel[DrawReport] = RowTableModel(DRAW_COLUMNS, self)
        self.strata: RowTableModel[StratumReport] = RowTableModel(
            STRATUM_COLUMNS, self,
            foreground=lambda s: REACHED if s.target_reached else None)
        self.frame_table = self._table(self.frames, self._frame_selected)
        self.draw_table = self._table(self.draws, lambda: self._show_draw())
        self.strata_table = self._table(self.strata, None)
        self.draw_summary = QLabel(wordWrap=True)
        self.busy = QProgressBar(textVisible=False)
        self.busy.setMaximumHeight(8)
        self.busy.setRange(0, 0)  # the server does not say how long it takes
        self.busy.hide()
        self.status = QLabel(wordWrap=True)
        self.status.setObjectName("samplingStatus")
        layout = QVBoxLayout(self)
        layout.addLayout(self._buttons())
        splitter = QSplitter(Qt.Orientation.Vertical)
        for title, table, extra in ((self.tr("&Frames"), self.frame_table, None),
                                    (self.tr("Dra&ws of the selected frame"), self.draw_table,
                                     None),
                                    (self.tr("S&trata of the selected draw"),
                                     self.strata_table, self.draw_summary)):
            splitter.addWidget(self._titled(title, table, extra))
        splitter.setSizes([150, 150, 400])
        layout.addWidget(splitter, 1)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        self._enable()

    # --- building -------------------------------------------------------------------------

    def _buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.import_button = QPushButton(self.tr("&Import frame…"))
        self.import_button.clicked.connect(self.import_frame)
        self.draw_button = QPushButton(self.tr("&Draw…"))
        self.draw_button.clicked.connect(self.draw)
        self.release_button = QPushButton(self.tr("&Release next replicate…"))
        self.release_button.clicked.connect(self.release)
        self.refresh_button = QPushButton(self.tr("Re&load"))
        self.refresh_button.clicked.connect(lambda: self.refresh())
        for button in (self.import_button, self.draw_button, self.release_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        return row

    def _table(self, model: RowTableModel[Any], selected: Callable[[], None] | None
               ) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.setWordWrap(False)
        # names and offices are long: whole, on one line; the last column takes what is left
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        if selected is not None:
            table.selectionModel().selectionChanged.connect(lambda *_a: selected())
        return table

    def _titled(self, title: str, table: QTableView, below: QWidget | None) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        label = QLabel(title)
        label.setBuddy(table)  # Alt and the underlined letter puts the keyboard in the table
        column.addWidget(label)
        if below is not None:
            column.addWidget(below)
        column.addWidget(table, 1)
        return box

    # --- reading --------------------------------------------------------------------------

    def refresh(self, then_say: str = "", *, frame_id: int | None = None,
                draw_id: int | None = None, automatic: bool = False) -> None:
        """Reload the frames and the selected frame's draws, keeping what was selected
        (``frame_id``, ``draw_id``: select that one instead, one just made). ``automatic``
        (the window's clock): the status line keeps what it says."""
        frame, draw = self.selected_frame(), self.selected_draw()
        keep_frame = frame_id or (frame.id if frame else None)
        keep_draw = draw_id or (draw.draw_id if draw else None)
        say = None if automatic else then_say
        self._run(self.api.frames,
                  lambda frames: self._show_frames(frames, keep_frame, keep_draw, say),
                  self.tr("Loading the frames…"), keep_status=automatic)

    def _show_frames(self, frames: list[FrameOut], keep_frame: int | None,
                     keep_draw: int | None, then_say: str | None) -> None:
        self.frames.set_rows(frames)
        row = next((i for i, f in enumerate(frames) if f.id == keep_frame), 0)
        if then_say is not None:
            self.status.setText(then_say or (
                self.tr("No frame yet: import one (Import frame…).") if not frames else ""))
        self.pending_draw = keep_draw
        if frames:
            self.frame_table.selectRow(row)  # loads its draws
        else:
            self.draws.set_rows([])
            self._show_draw()

    def _frame_selected(self) -> None:
        frame = self.selected_frame()
        self._enable()
        if frame is None:
            return
        keep, self.pending_draw = self.pending_draw, None
        self._run(lambda: self.api.draws(frame.id), lambda draws: self._show_draws(draws, keep),
                  self.tr("Loading the draws…"), keep_status=True)

    def _show_draws(self, draws: list[DrawReport], keep: int | None) -> None:
        self.draws.set_rows(draws)
        if draws:
            self.draw_table.selectRow(next(
                (i for i, d in enumerate(draws) if d.draw_id == keep), 0))
        self._show_draw()

    def _show_draw(self) -> None:
        report = self.selected_draw()
        self.strata.set_rows(report.strata if report else [])
        self.draw_summary.setText(self.describe(report) if report else (
            self.tr("No draw from this frame yet: Draw… makes one.")
            if self.selected_frame() else ""))
        self._enable()

    def describe(self, report: DrawReport) -> str:
        text = self.tr(
            "Draw {draw}, seed {seed}: {sampled} sampled of {rows} frame rows; replicates "
            "released {done} of {all}{auto}; {released} cases released, {completes} "
            "completes.").format(
                draw=report.draw_id, seed=report.seed, sampled=f"{report.sampled:,}",
                rows=f"{report.frame_rows:,}", done=report.replicates_released,
                all=report.replicates, released=f"{report.released:,}",
                completes=f"{report.completes:,}",
                auto=self.tr(" (the next by itself when these are worked)")
                if report.auto_release else "")
        left_out = exclusions(report.excluded)
        if left_out:
            text += " " + self.tr("Not eligible: {reasons}.").format(reasons=left_out)
        return text + (f" {report.note}" if report.note else "")

    def selected_frame(self) -> FrameOut | None:
        rows = self.frame_table.selectionModel().selectedRows()
        return self.frames.row_at(rows[0].row()) if rows else None

    def selected_draw(self) -> DrawReport | None:
        rows = self.draw_table.selectionModel().selectedRows()
        return self.draws.row_at(rows[0].row()) if rows else None

    # --- changing -------------------------------------------------------------------------

    def import_frame(self) -> FrameImportDialog:
        dialog = FrameImportDialog(self.api, self.runner, self, today=self.today())
        dialog.finished.connect(lambda _code: self._imported(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _imported(self, dialog: FrameImportDialog) -> None:
        reply = dialog.result_reply
        if reply is not None and reply.frame_id is not None:
            self.refresh(self.tr("Frame {frame} imported: select it and Draw… a sample.").format(
                frame=reply.frame_id), frame_id=reply.frame_id)

    def draw(self) -> DrawDialog | None:
        frame = self.selected_frame()
        if frame is None:
            self.status.setText(self.tr("Select a frame to draw from first."))
            return None
        dialog = DrawDialog(self.api, self.runner, frame, self)
        dialog.drawn.connect(lambda report: self.refresh(
            self.tr("Draw {draw} made with seed {seed}.").format(draw=report.draw_id,
                                                                  seed=report.seed),
            draw_id=report.draw_id))
        self.dialog = dialog
        dialog.open()
        return dialog

    def release(self) -> QMessageBox | None:
        report = self.selected_draw()
        if report is None:
            self.status.setText(self.tr("Select a draw first."))
            return None
        cases, skipped = next_replicate(report)
        text = self.tr("Replicate {replicate} of {all}: about {cases} cases go to the call "
                       "queue now.").format(replicate=report.replicates_released + 1,
                                            all=report.replicates, cases=f"{cases:,}")
        if skipped:
            text += " " + self.tr("Skipped, their target reached: {strata}.").format(
                strata="; ".join(stratum_name(s) for s in skipped))
        else:
            text += " " + self.tr("No stratum is skipped: none has reached its target.")
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Release the next replicate?"),
                          text, QMessageBox.StandardButton.Yes
                          | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        draw_id = report.draw_id
        box.finished.connect(lambda result: self._run(
            lambda: self.api.release(draw_id), self._released, self.tr("Releasing…"))
            if result == QMessageBox.StandardButton.Yes else None)
        self.question = box
        box.open()
        return box

    def _released(self, result: ReleaseResult) -> None:
        text = self.tr("Replicate {replicate} released: {cases} cases are in the call "
                       "queue.").format(replicate=result.replicate,
                                        cases=f"{result.cases_released:,}")
        if result.strata_skipped:
            text += " " + self.tr("Skipped (target reached): {strata}.").format(
                strata="; ".join(result.strata_skipped))
        if result.withdrawn_do_not_call:
            text += " " + self.tr("{n} not released: their number is now on the do-not-call "
                                  "register.").format(n=result.withdrawn_do_not_call)
        self.changed.emit()
        self.refresh(text, draw_id=result.draw_id)

    # --- plumbing -------------------------------------------------------------------------

    def _run(self, call: Callable[[], Any], done: Callable[[Any], None], working: str, *,
             keep_status: bool = False) -> None:
        self.calls += 1
        self.busy.show()
        if not keep_status:
            self.status.setText(working)

        def succeeded(reply: Any) -> None:
            self._call_done()
            done(reply)

        self.runner.run(call, succeeded, self._failed, owner=self)

    def _call_done(self) -> None:
        self.calls = max(0, self.calls - 1)
        self.busy.setVisible(self.calls > 0)

    def _failed(self, error: BaseException) -> None:
        self._call_done()
        self.status.setText(self.tr("Not done: {reason}").format(reason=error))
        self._enable()

    def _enable(self) -> None:
        draw = self.selected_draw()
        self.draw_button.setEnabled(self.selected_frame() is not None)
        left = draw is not None and draw.replicates_released < draw.replicates
        self.release_button.setEnabled(left)
        self.release_button.setToolTip("" if left or draw is None else self.tr(
            "Every replicate of this draw is released: draw again for more cases."))
