"""Conflicts and review against the real server: versions side by side, resolve, approve and
send back with a comment."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from cati_app.desktop.supervisor.conflicts import DIFFERS, ConflictsPage
from cati_app.desktop.supervisor.review import ReviewDialog
from cati_app.desktop.worker import BackgroundRunner
from cati_app.server.db import transaction
from cati_app.server.models import CaseState, InterviewVersion
from tests.desktop.supervision_server import WAIT_MS, Server
from tests.support.factories import (
    give,
    load_case,
    primaries,
    seed_case,
    seed_conflict,
    seed_version,
)

FIRST = {"consent": "yes", "acc_info": "4", "acc_reach": "5"}
SECOND = {"consent": "yes", "acc_info": "2", "acc_reach": "5", "time_wait": "3"}



def review_status(server: Server, version_uuid: str) -> tuple[str, str]:
    with transaction(server.ctx.sessions) as session:
        row = session.scalar(select(InterviewVersion)
                             .where(InterviewVersion.version_uuid == version_uuid))
        return row.review_status, row.review_comment


def test_conflict_versions_side_by_side_and_resolved(qtbot, qtmodeltester,
                                                     server: Server) -> None:
    case_id = seed_case(server.ctx, server.service_id, state=CaseState.NEEDS_SUPERVISOR)
    first = seed_version(server.ctx, case_id, server.ids["enum1"], primary=True,
                         completion="partial", answers=FIRST)
    second = seed_version(server.ctx, case_id, server.ids["enum2"], primary=False,
                          answers=SECOND)
    seed_conflict(server.ctx, case_id, [first.version_uuid, second.version_uuid])
    page = ConflictsPage(server.api(), BackgroundRunner())
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.conflicts.rowCount() == 1, timeout=WAIT_MS)
    qtmodeltester.check(page.conflicts)
    assert page.list_status.text() == "1 open"
    page.list_view.selectRow(0)
    qtbot.waitUntil(lambda: page.detail is not None, timeout=WAIT_MS)
    qtmodeltester.check(page.answers)

    table = [[page.answers.index(r, c).data() for c in range(3)]
             for r in range(page.answers.rowCount())]
    assert [row[1:] for row in table] == [["yes", "yes"], ["4 · Good", "2 · Poor"],
                                          ["5 · Very good", "5 · Very good"],
                                          ["— not asked", "3 · Fair"]]
    questions = [row[0] for row in table]
    assert questions[0] == "Would you be willing to answer a few questions now?  [consent]"
    assert [q.startswith(DIFFERS) for q in questions] == [False, True, False, True]
    assert questions[3].endswith("[time_wait]")
    header = page.answers.headerData(2, Qt.Orientation.Horizontal)
    assert header.startswith("2. enum2 (Complete") and "primary" not in header
    assert "primary" in page.answers.headerData(1, Qt.Orientation.Horizontal)
    assert "needs supervisor" in page.description.text()

    page.primary.setCurrentIndex(1)
    page.resolve()
    assert "Write the resolution first" in page.detail_status.text()  # nothing sent yet
    page.resolution.setPlainText("enum2's interview is complete")
    page.resolve_button.click()
    qtbot.waitUntil(lambda: page.detail_status.text().startswith("Resolved"), timeout=WAIT_MS)
    assert page.detail_status.text() == f"Resolved: case {case_id} is now closed."
    assert primaries(server.ctx, case_id) == [second.version_uuid]
    assert load_case(server.ctx, case_id).state == CaseState.CLOSED
    qtbot.waitUntil(lambda: page.conflicts.rowCount() == 0, timeout=WAIT_MS)
    assert page.detail.status == "resolved"  # still shown, with its outcome
    assert not page.resolve_button.isEnabled()


def test_send_back_needs_a_comment_and_reaches_the_enumerator(qtbot, server: Server) -> None:
    case_id = seed_case(server.ctx, server.service_id, state=CaseState.CLOSED)
    version = seed_version(server.ctx, case_id, server.ids["enum1"], primary=True)
    dialog = ReviewDialog(server.api(), BackgroundRunner(), version.interview_uuid)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.approve_button.isEnabled() and not dialog.reject_button.isEnabled()
    dialog.comment.setPlainText("Q3 was read wrongly: ask it again")
    assert dialog.reject_button.isEnabled()
    dialog.reject_button.click()
    qtbot.waitUntil(lambda: dialog.result_reply is not None, timeout=WAIT_MS)
    assert dialog.status.text() == (f"Sent back for correction; case {case_id} is now with "
                                    "enum1.")
    assert review_status(server, version.version_uuid) == (
        "rejected", "Q3 was read wrongly: ask it again")
    case = load_case(server.ctx, case_id)
    assert (case.state, case.holder_id) == (CaseState.HELD, server.ids["enum1"])

    dialog.reject_button.click()  # already sent back: the server refuses, the dialog says why
    qtbot.waitUntil(lambda: dialog.status.text().startswith("⚠"), timeout=WAIT_MS)
    assert "already back with its enumerator" in dialog.status.text()


def test_approve_with_a_comment(qtbot, server: Server) -> None:
    case_id = seed_case(server.ctx, server.service_id, state=CaseState.CLOSED)
    give(server.ctx, case_id, server.ids["enum2"])
    version = seed_version(server.ctx, case_id, server.ids["enum2"], primary=True)
    dialog = ReviewDialog(server.api(), BackgroundRunner())
    qtbot.addWidget(dialog)
    assert not dialog.approve_button.isEnabled()  # no interview chosen yet
    dialog.interview.setText(version.interview_uuid)
    dialog.comment.setPlainText("well done")
    dialog.approve_button.click()
    qtbot.waitUntil(lambda: dialog.result_reply is not None, timeout=WAIT_MS)
    assert dialog.status.text().startswith("Approved")
    assert review_status(server, version.version_uuid) == ("approved", "well done")


def test_review_tab_lists_pending_interviews_shows_answers_and_decides(
        qtbot, qtmodeltester, server: Server) -> None:
    from cati_app.desktop.supervisor.review_page import ReviewPage

    first_case = seed_case(server.ctx, server.service_id, state=CaseState.CLOSED)
    second_case = seed_case(server.ctx, server.service_id, state=CaseState.CLOSED)
    first = seed_version(server.ctx, first_case, server.ids["enum1"], primary=True,
                         answers=FIRST)
    second = seed_version(server.ctx, second_case, server.ids["enum2"], primary=True,
                          completion="partial", answers=SECOND)
    page = ReviewPage(server.api(), BackgroundRunner())
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)
    qtmodeltester.check(page.model)
    assert page.list_status.text() == "2 interview(s) waiting for review."

    page.table.selectRow(0)
    assert page.chosen is not None and page.chosen.version_uuid == first.version_uuid
    qtmodeltester.check(page.answers)
    shown = dict(page.answers.rows())
    assert any(q.endswith("[acc_info]") and a.startswith("4") for q, a in shown.items())
    assert len(shown) == len(FIRST)
    assert page.approve_button.isEnabled() and not page.reject_button.isEnabled()
    page.approve_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT_MS)
    assert review_status(server, first.version_uuid) == ("approved", "")
    assert page.status.text() == f"Case {first_case}: Approved."

    page.table.selectRow(0)
    page.comment.setPlainText("Ask time_wait again, slowly")
    page.reject_button.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=WAIT_MS)
    assert review_status(server, second.version_uuid) == ("rejected",
                                                          "Ask time_wait again, slowly")
    assert "now with enum2" in page.status.text()
    page.refresh()
    qtbot.waitUntil(lambda: page.list_status.text().startswith("0 interview"), timeout=WAIT_MS)
