"""The supervisor's Sampling tab against the real server on a loopback port: import the example
frame (its rows of an unknown service listed as problems), draw with a seed by keyboard, read
the strata with their π, release a replicate after a confirmation and see the released counts
move; a bad frame file lists its problems; a release with nothing left says why (409)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from cati_app.core.protocol_sampling import DrawRequest
from cati_app.desktop.supervisor.sampling_dialogs import DrawDialog, FrameImportDialog
from cati_app.desktop.supervisor.sampling_page import SamplingPage
from cati_app.desktop.supervisor.window import SupervisorWindow
from tests.desktop.supervision_server import WAIT_MS, Server, sign_in

DEMO_FRAME = Path(__file__).resolve().parents[2] / "resources/demo/frame_dcrc_april_2026.csv"
BAD_FRAME = (
    "service,name,phone,office,date_availed\n"
    "CID,Karma Dorji,17 12 34 56,Thimphu,2026-04-02\n"
    "PASSPORT,Pema Choden,17 22 33 44,Paro,2026-04-03\n"
    "CID,,77 11 22 33,Haa,2026-04-04\n"
    "CID,Sonam Wangmo,12345,Paro,2026-04-05\n"
)


def _open(qtbot, server: Server, settings) -> tuple[SupervisorWindow, SamplingPage]:  # noqa: ANN001
    window = sign_in(qtbot, server, settings, "sup").window
    assert isinstance(window, SupervisorWindow)
    page = window.sampling
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton,
                     pos=bar.tabRect(window.tabs.indexOf(page)).center())
    assert window.tabs.currentWidget() is page
    qtbot.waitUntil(lambda: page.calls == 0 and not page.busy.isVisible(), timeout=WAIT_MS)
    return window, page


def _import(qtbot, page: SamplingPage, path: Path, *,  # noqa: ANN001
            dialog: FrameImportDialog | None = None, **fields: str) -> FrameImportDialog:
    dialog = dialog or page.import_frame()
    dialog.path.setText(str(path))
    for name, value in fields.items():
        getattr(dialog, name).setText(value)
    dialog.import_button.click()
    assert dialog.progress.isVisible()  # busy while the server reads the file
    qtbot.waitUntil(lambda: not dialog.progress.isVisible(), timeout=WAIT_MS)
    return dialog


def _answer(qtbot, page: SamplingPage, answer: QMessageBox.StandardButton) -> str:  # noqa: ANN001
    qtbot.waitUntil(lambda: page.question is not None and page.question.isVisible(),
                    timeout=WAIT_MS)
    assert page.question is not None
    text = page.question.text()
    page.question.button(answer).click()
    return text


def _column(page: SamplingPage, header: str) -> list[str]:
    model = page.strata
    col = next(c for c in range(model.columnCount())
               if model.headerData(c, Qt.Orientation.Horizontal) == header)
    return [str(model.index(r, col).data()) for r in range(model.rowCount())]


def test_import_draw_with_a_seed_and_release_a_replicate(
        qtbot, qtmodeltester, server: Server, settings) -> None:  # noqa: ANN001
    window, page = _open(qtbot, server, settings)
    assert page.frames.rowCount() == 0 and not page.draw_button.isEnabled()
    assert page.status.text() == "No frame yet: import one (Import frame…)."

    dialog = page.import_frame()
    dialog.limit_period.setChecked(True)
    dialog.period_start.setDate(QDate(2026, 4, 1))
    dialog.period_end.setDate(QDate(2026, 4, 30))
    dialog = _import(qtbot, page, DEMO_FRAME, name="DCRC April", agency="DCRC", dialog=dialog)
    reply = dialog.result_reply
    assert reply is not None and reply.frame_id is not None
    qtmodeltester.check(dialog.problems)
    # the test server has no MIMO service: its 140 rows are listed, one problem each
    assert reply.rejected == 140 and reply.accepted == 261
    assert dialog.problems.rowCount() >= 140
    reasons = [str(dialog.problems.index(r, 3).data()) for r in range(dialog.problems.rowCount())]
    assert sum("unknown service code 'MIMO'" in reason for reason in reasons) == 140
    assert dialog.summary.text().startswith(f"Frame {reply.frame_id} (DCRC April): 261 of 401 "
                                            "rows kept, 140 not used.")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: page.frames.rowCount() == 1 and page.calls == 0, timeout=WAIT_MS)
    qtmodeltester.check(page.frames)
    assert page.frames.index(0, 3).data() == "2026-04-01 – 2026-04-30"
    assert page.selected_frame() is not None and page.selected_frame().name == "DCRC April"
    assert page.draw_summary.text() == "No draw from this frame yet: Draw… makes one."

    draw = page.draw()
    assert isinstance(draw, DrawDialog)
    draw.sample_size.setValue(40)
    draw.replicates.setValue(2)
    draw.seed.setFocus()
    qtbot.keyClicks(draw.seed, "975x")  # digits only
    assert draw.seed.text() == "975"
    qtbot.keyClick(draw.seed, Qt.Key.Key_Return)  # Enter draws
    qtbot.waitUntil(lambda: draw.report is not None, timeout=WAIT_MS)
    assert draw.report is not None and draw.report.seed == 975
    assert "Seed used: 975" in draw.status.text() and "40 sampled" in draw.status.text()
    assert draw.buttons.button(QDialogButtonBox.StandardButton.Cancel).text() == "Close"
    qtbot.keyClick(draw, Qt.Key.Key_Escape)
    assert not draw.isVisible()

    qtbot.waitUntil(lambda: page.strata.rowCount() > 0 and page.calls == 0, timeout=WAIT_MS)
    qtmodeltester.check(page.draws)
    qtmodeltester.check(page.strata)
    report = page.selected_draw()
    assert report is not None and report.draw_id == draw.report.draw_id
    assert page.status.text() == f"Draw {report.draw_id} made with seed 975."
    assert page.draw_summary.text().startswith(
        f"Draw {report.draw_id}, seed 975: 40 sampled of 261 frame rows; replicates released 0 "
        "of 2")
    assert set(_column(page, "Service")) == {"CID"}
    for stratum, pi in zip(report.strata, _column(page, "π"), strict=True):
        assert pi == f"{stratum.allocated / stratum.eligible:.4f}"
    assert sum(int(n) for n in _column(page, "Allocated")) == 40
    assert set(_column(page, "Released")) == {"0"}
    assert set(_column(page, "Completes / target")) == {"0 (no target)"}

    page.release_button.click()
    question = _answer(qtbot, page, QMessageBox.StandardButton.Yes)
    assert question == ("Replicate 1 of 2: about 20 cases go to the call queue now. No stratum "
                        "is skipped: none has reached its target.")
    qtbot.waitUntil(lambda: page.status.text().startswith("Replicate 1 released"),
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.calls == 0, timeout=WAIT_MS)
    assert page.status.text() == "Replicate 1 released: 20 cases are in the call queue."
    assert sum(int(n) for n in _column(page, "Released")) == 20
    assert page.draws.index(0, 5).data() == "1 / 2"
    assert page.release_button.isEnabled()  # one replicate left
    window.close()


def test_a_release_can_be_cancelled(qtbot, server: Server, settings) -> None:  # noqa: ANN001
    frame_id = _server_frame(server)
    server.api().sampling().draw(frame_id, DrawRequest(sample_size=10, replicates=1, seed=1))
    window, page = _open(qtbot, server, settings)
    qtbot.waitUntil(lambda: page.strata.rowCount() > 0, timeout=WAIT_MS)
    page.release_button.click()
    _answer(qtbot, page, QMessageBox.StandardButton.Cancel)
    assert set(_column(page, "Released")) == {"0"} and page.calls == 0
    window.close()


def test_nothing_left_to_release_says_what_to_do(qtbot, server: Server, settings) -> None:  # noqa: ANN001
    frame_id = _server_frame(server)
    sampling = server.api().sampling()
    made = sampling.draw(frame_id, DrawRequest(sample_size=10, replicates=1, seed=7,
                                               target_per_stratum=3))
    window, page = _open(qtbot, server, settings)
    qtbot.waitUntil(lambda: page.strata.rowCount() > 0, timeout=WAIT_MS)
    assert set(_column(page, "Completes / target")) == {"0 / 3 (0%)"}
    sampling.release(made.draw_id)  # another supervisor, while this page shows the draw
    assert sampling.draw_report(made.draw_id).replicates_released == 1
    assert page.release_button.isEnabled()  # the page does not know yet
    page.release_button.click()
    _answer(qtbot, page, QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: page.status.text().startswith("Not done"), timeout=WAIT_MS)
    assert page.status.text() == (f"Not done: all 1 replicates of draw {made.draw_id} are "
                                  "released: make a new draw from the frame for more cases")
    assert not page.busy.isVisible()
    page.refresh_button.click()
    qtbot.waitUntil(lambda: page.draws.rowCount() == 1 and page.calls == 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not page.release_button.isEnabled(), timeout=WAIT_MS)
    assert page.release_button.toolTip().startswith("Every replicate of this draw is released")
    window.close()


def _server_frame(server: Server) -> int:
    result = server.api().sampling().import_frame(DEMO_FRAME, name="April", agency="DCRC")
    assert result.frame_id is not None
    return result.frame_id


def test_a_bad_frame_file_lists_its_problems(qtbot, qtmodeltester, server: Server, settings,
                                             tmp_path: Path) -> None:  # noqa: ANN001
    source = tmp_path / "register.csv"
    source.write_text(BAD_FRAME, encoding="utf-8")
    window, page = _open(qtbot, server, settings)
    dialog = _import(qtbot, page, source)
    qtmodeltester.check(dialog.problems)
    rows = [[str(dialog.problems.index(r, c).data()) for c in range(3)]
            for r in range(dialog.problems.rowCount())]
    assert rows[:2] == [["3", "service", "PASSPORT"], ["4", "name", ""]]
    assert ["5", "phone", "12345"] in rows  # kept in the frame, left out by the draw
    assert dialog.summary.text().startswith("Frame ")
    assert "Each problem is listed below" in dialog.summary.text()

    # a file with no phone column: nothing is imported, and the dialog says what to do
    source.write_text("service,name\nCID,Karma\n", encoding="utf-8")
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("⚠"), timeout=WAIT_MS)
    assert "no phone column" in dialog.summary.text()
    assert dialog.problems.rowCount() == 0 and dialog.import_button.isEnabled()
    dialog.reject()
    window.close()


def test_a_period_that_ends_before_it_starts_is_not_sent(qtbot, server: Server,
                                                         settings) -> None:  # noqa: ANN001
    window, page = _open(qtbot, server, settings)
    dialog = page.import_frame()
    dialog.path.setText(str(DEMO_FRAME))
    dialog.limit_period.setChecked(True)
    dialog.period_start.setDate(QDate(2026, 4, 30))
    dialog.period_end.setDate(QDate(2026, 4, 1))
    dialog.import_button.click()
    assert dialog.summary.text() == "The period ends before it starts: correct the dates."
    assert not dialog.progress.isVisible() and dialog.result_reply is None
    dialog.reject()
    window.close()
