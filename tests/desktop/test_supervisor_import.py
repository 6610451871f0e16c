"""The sample import dialog against the real server: upload a CSV with bad rows, read the
row-by-row report in the table, save it as CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from cati_app.desktop.supervisor.import_dialog import SampleImportDialog
from cati_app.desktop.worker import BackgroundRunner
from tests.desktop.supervision_server import WAIT_MS, Server

CALLS = (
    "Name,Phone,Dzongkhag,Notes\n"
    "Karma Dorji,17 12 34 56,Thimphu,\n"
    "Pema Choden,12345,Paro,\n"
    ",77 11 22 33,Haa,no name\n"
    "Sonam Wangmo,+975 77 65 43 21,Paro,\n"
)



def open_dialog(qtbot, server: Server, saved_to: Path | None = None) -> SampleImportDialog:
    dialog = SampleImportDialog(server.api(), BackgroundRunner(), [("CID", "Service CID")],
                                choose_save=lambda *_: str(saved_to or ""))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_bad_rows_are_listed_and_the_report_saves(qtbot, qtmodeltester, server: Server,
                                                  tmp_path: Path) -> None:
    source = tmp_path / "june calls.csv"
    source.write_text(CALLS, encoding="utf-8")
    report_path = tmp_path / "rejected.csv"
    dialog = open_dialog(qtbot, server, report_path)
    dialog.path.setText(str(source))
    dialog.batch_name.setText("June")
    dialog.import_button.click()
    assert dialog.progress.isVisible() and dialog.progress.maximum() == 0  # busy
    qtbot.waitUntil(lambda: dialog.result_reply is not None, timeout=WAIT_MS)
    assert not dialog.progress.isVisible()
    qtmodeltester.check(dialog.problems)
    rows = [[dialog.problems.index(r, c).data() for c in range(3)]
            for r in range(dialog.problems.rowCount())]
    assert rows == [["3", "Phone", "12345"], ["4", "Name", ""]]
    assert all(dialog.problems.index(r, 3).data() for r in range(2))
    summary = dialog.summary.text()
    assert summary.startswith(f"Batch {dialog.result_reply.batch_id} (June): imported 2 cases;"
                              " 2 rows not imported")
    assert "Columns not used: Notes." in summary

    assert dialog.save_button.isEnabled()
    assert dialog.save_report() == report_path
    with report_path.open(encoding="utf-8-sig", newline="") as stream:
        saved = list(csv.reader(stream))
    assert saved[0] == ["row", "column", "value", "reason"]
    assert [line[:3] for line in saved[1:]] == [["3", "Phone", "12345"], ["4", "Name", ""]]


def test_a_file_the_server_cannot_use_imports_nothing_and_says_why(
        qtbot, server: Server, tmp_path: Path) -> None:
    source = tmp_path / "calls.csv"
    source.write_text("name,office\nKarma,Paro\n", encoding="utf-8")
    dialog = open_dialog(qtbot, server)
    dialog.path.setText(str(source))
    dialog.import_button.click()
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("⚠"), timeout=WAIT_MS)
    assert "Nothing was imported" in dialog.summary.text()
    assert "phone" in dialog.summary.text()
    assert dialog.problems.rowCount() == 0 and dialog.import_button.isEnabled()


def test_no_file_chosen(qtbot, server: Server) -> None:
    dialog = open_dialog(qtbot, server)
    dialog.import_button.click()
    assert dialog.summary.text() == "Choose the file to import first (Browse…)."
    assert dialog.result_reply is None
