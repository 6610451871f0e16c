"""The questionnaire import dialog against the real server: a good workbook shows the new
version, a broken one lists every problem with sheet, row and column and imports nothing; the
supervisor window's menu opens it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from cati_app.desktop.supervisor.questionnaire_import import QuestionnaireImportDialog
from cati_app.desktop.worker import BackgroundRunner
from cati_app.server.models import QuestionnaireVersion
from tests.desktop.supervision_server import WAIT_MS, Server, sign_in
from tests.support.workbooks import BROKEN, SHIPPED, write_workbook


def open_dialog(qtbot, server: Server, chosen: Path) -> QuestionnaireImportDialog:
    dialog = QuestionnaireImportDialog(server.api(), BackgroundRunner(),
                                       [("CID", "Issuance of New CID Card")],
                                       choose_file=lambda *_: str(chosen))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def import_and_wait(qtbot, dialog: QuestionnaireImportDialog) -> None:
    dialog.import_button.click()
    assert dialog.progress.isVisible() and not dialog.import_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.import_button.isEnabled(), timeout=WAIT_MS)
    assert not dialog.progress.isVisible()


def stored_versions(server: Server) -> list[int]:
    with server.ctx.sessions() as session:
        return list(session.scalars(select(QuestionnaireVersion.version)
                                    .order_by(QuestionnaireVersion.version)))


def test_a_good_workbook_shows_the_new_version(qtbot, qtmodeltester, server: Server) -> None:
    dialog = open_dialog(qtbot, server, SHIPPED)
    dialog.browse()
    assert dialog.path.text() == str(SHIPPED)
    import_and_wait(qtbot, dialog)
    assert dialog.result_reply is not None and dialog.result_reply.version == 2
    assert dialog.summary.text().startswith(
        "Imported questionnaire set version 2 for CID: 21 items in en, dz.")
    qtmodeltester.check(dialog.problems)
    assert dialog.problems.rowCount() == 0
    assert stored_versions(server) == [1, 2]


def test_a_broken_workbook_lists_its_problems(qtbot, qtmodeltester, server: Server,
                                              tmp_path: Path) -> None:
    broken = write_workbook(tmp_path / "broken.xlsx", BROKEN)
    dialog = open_dialog(qtbot, server, broken)
    dialog.browse()
    import_and_wait(qtbot, dialog)
    assert dialog.result_reply is None
    assert dialog.summary.text().startswith("⚠ Nothing was imported: the workbook has 5 "
                                            "problem(s)")
    qtmodeltester.check(dialog.problems)
    rows = [[dialog.problems.index(r, c).data() for c in range(3)]
            for r in range(dialog.problems.rowCount())]
    assert rows == [["survey", "2", "A (type)"], ["survey", "3", "A (type)"],
                    ["survey", "4", "A (type)"], ["survey", "5", "E (relevant)"],
                    ["survey", "6", "B (name)"]]
    assert "choice list 'colours' does not exist" in dialog.problems.index(2, 3).data()
    assert stored_versions(server) == [1]


def test_missing_file_is_said_before_any_request(qtbot, server: Server, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, server, tmp_path / "nowhere.xlsx")
    dialog.browse()
    dialog.import_button.click()
    assert dialog.summary.text() == "Choose the workbook to import first (Browse…)."
    assert dialog.import_button.isEnabled()


def test_the_supervisor_menu_opens_it(qtbot, server: Server, settings) -> None:
    session = sign_in(qtbot, server, settings, "sup")
    window = session.window
    qtbot.waitUntil(lambda: window.services != [], timeout=WAIT_MS)
    [action] = [a for menu in window.menuBar().findChildren(type(window.menuBar().actions()[0]
                                                                 .menu()))
                for a in menu.actions() if "questionnaire" in a.text()]
    action.trigger()
    dialog = window.questionnaire_dialog
    assert isinstance(dialog, QuestionnaireImportDialog) and dialog.isVisible()
    assert dialog.service.currentData() == "CID"
    dialog.close()
    window.close()
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)
