"""The Conflicts tab against the real server, driven with mouse and keys: a former holder's
late refusal is confirmed (the case closes) or dismissed (the case goes back to its holder);
Review and Conflicts show one interview version's answers alike."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView
from sqlalchemy import select

from cati_app.desktop.supervisor.conflicts import ConflictsPage
from cati_app.desktop.supervisor.review_page import ReviewPage
from cati_app.desktop.worker import BackgroundRunner
from cati_app.server.models import AuditEntry, CaseState, ContactAttempt
from tests.desktop.enumerator_calls import EnumeratorCalls
from tests.desktop.supervision_server import WAIT_MS, Server
from tests.support.factories import (
    attempt_item,
    load_case,
    seed_case,
    seed_cases,
    seed_conflict,
    seed_version,
)


def late_refusal(server: Server) -> int:
    """enum1 claims a case; the supervisor moves it to enum2; enum1's offline hard refusal
    arrives afterwards: a real stale_final_outcome conflict. Returns the case id."""
    [case_id] = seed_cases(server.ctx, server.service_id, 1)
    enum1 = EnumeratorCalls(server.url, "enum1")
    [case] = enum1.claim(1)
    moved = server.api().assign([case_id], "enum2", force=True, reason="enum1 is off sick")
    assert [r.result for r in moved.results] == ["assigned"]
    [result] = enum1.push([attempt_item(case, server.ctx.clock.now(), "hard_refusal",
                                        note="never call me")])
    assert result["status"] == "stored_conflict", result
    return case_id


def open_page(qtbot, server: Server) -> ConflictsPage:
    page = ConflictsPage(server.api(), BackgroundRunner())
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.conflicts.rowCount() == 1, timeout=WAIT_MS)
    return page


def click_row(qtbot, view: QAbstractItemView, row: int) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def open_first_conflict(qtbot, page: ConflictsPage) -> None:
    click_row(qtbot, page.list_view, 0)
    qtbot.waitUntil(lambda: page.detail is not None, timeout=WAIT_MS)


def decision_audited(server: Server, conflict_id: int) -> object:
    with server.ctx.sessions() as session:
        [entry] = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "conflict.resolve", AuditEntry.entity_id == str(conflict_id)))
        return entry.details["decision"]


def test_dismissing_a_late_refusal_gives_the_case_back_to_its_holder(
        qtbot, server: Server) -> None:
    case_id = late_refusal(server)
    page = open_page(qtbot, server)
    open_first_conflict(qtbot, page)
    assert page.dismiss_button.isVisible() and page.dismiss_button.isEnabled()
    assert page.late_hint.isVisible() and "Dismiss:" in page.late_hint.text()
    assert page.resolve_button.text() == "&Confirm: close the case"

    qtbot.mouseClick(page.dismiss_button, Qt.MouseButton.LeftButton)
    assert "Write the resolution first" in page.detail_status.text()  # nothing sent
    assert load_case(server.ctx, case_id).state == CaseState.NEEDS_SUPERVISOR

    page.resolution.setFocus()
    qtbot.keyClicks(page.resolution, "wrong case on enum1's list")
    qtbot.mouseClick(page.dismiss_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.detail_status.text().startswith("Dismissed"), timeout=WAIT_MS)
    assert page.detail_status.text() == (
        f"Dismissed: the late outcome no longer counts; case {case_id} is now held.")
    case = load_case(server.ctx, case_id)
    assert (case.state, case.holder_id, case.disposition) == (
        CaseState.HELD, server.ids["enum2"], None)
    with server.ctx.sessions() as session:
        assert session.scalars(select(ContactAttempt.dismissed)).all() == [True]
    assert decision_audited(server, page.detail.id) == "dismiss"
    assert not page.dismiss_button.isEnabled() and not page.resolve_button.isEnabled()
    qtbot.waitUntil(lambda: page.conflicts.rowCount() == 0, timeout=WAIT_MS)


def test_confirming_a_late_refusal_closes_the_case(qtbot, server: Server) -> None:
    case_id = late_refusal(server)
    page = open_page(qtbot, server)
    open_first_conflict(qtbot, page)
    page.resolution.setFocus()
    qtbot.keyClicks(page.resolution, "called back: she refused again")
    page.resolve_button.setFocus()
    qtbot.keyClick(page.resolve_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: page.detail_status.text().startswith("Confirmed"), timeout=WAIT_MS)
    assert page.detail_status.text() == f"Confirmed: case {case_id} is now closed."
    case = load_case(server.ctx, case_id)
    assert (case.state, case.holder_id, case.disposition) == (
        CaseState.CLOSED, None, "hard_refusal")
    assert decision_audited(server, page.detail.id) == "confirm"


def test_a_conflict_between_versions_offers_no_dismiss(qtbot, server: Server) -> None:
    case_id = seed_case(server.ctx, server.service_id, state=CaseState.NEEDS_SUPERVISOR)
    first = seed_version(server.ctx, case_id, server.ids["enum1"], primary=True)
    second = seed_version(server.ctx, case_id, server.ids["enum2"], primary=False)
    seed_conflict(server.ctx, case_id, [first.version_uuid, second.version_uuid])
    page = open_page(qtbot, server)
    open_first_conflict(qtbot, page)
    assert not page.dismiss_button.isVisible() and not page.late_hint.isVisible()
    assert page.resolve_button.text() == "&Resolve"


def test_review_and_conflicts_show_one_versions_answers_alike(qtbot, server: Server) -> None:
    answers = {"consent": "yes", "acc_info": "4", "time_wait": "", "int_fair": "dk",
               "extra_q": "kept as sent"}
    case_id = seed_case(server.ctx, server.service_id, state=CaseState.NEEDS_SUPERVISOR)
    first = seed_version(server.ctx, case_id, server.ids["enum1"], primary=True,
                         answers=answers)
    second = seed_version(server.ctx, case_id, server.ids["enum2"], primary=False,
                          answers={"consent": "yes", "acc_reach": "5"})
    seed_conflict(server.ctx, case_id, [first.version_uuid, second.version_uuid])
    conflicts = open_page(qtbot, server)
    open_first_conflict(qtbot, conflicts)
    review = ReviewPage(server.api(), BackgroundRunner())
    qtbot.addWidget(review)
    review.show()
    review.refresh()
    qtbot.waitUntil(lambda: review.model.rowCount() == 1, timeout=WAIT_MS)
    click_row(qtbot, review.table, 0)
    qtbot.waitUntil(lambda: review.answers.rowCount() > 0, timeout=WAIT_MS)

    in_review = dict(review.answers.rows())
    in_conflict = {row.question: row.values[0] for row in conflicts.answers.rows()}
    assert {q: a for q, a in in_conflict.items() if a != "— not asked"} == in_review
    by_name = {q.rsplit("[", 1)[-1].rstrip("]"): a for q, a in in_review.items()}
    assert by_name == {"consent": "yes", "acc_info": "4 · Good", "time_wait": "(no answer)",
                       "int_fair": "dk · Don't know", "extra_q": "kept as sent"}
    assert in_conflict[next(q for q in in_conflict if q.endswith("[acc_reach]"))] == \
        "— not asked"  # the second version answered it, this one was never asked
