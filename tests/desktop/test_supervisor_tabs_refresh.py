"""Every supervisor tab refreshes itself (issue 13): Conflicts and Review show the real counts
in their tab titles and lists without anyone pressing Refresh, on the window's clock and when a
tab is shown; a list the supervisor is working in is not redrawn under them. Real server,
real login; the person only clicks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView

from cati_app.desktop.app import AppSession
from cati_app.desktop.settings import Settings
from cati_app.desktop.shared.dashboard import REFRESH_SECONDS
from cati_app.desktop.supervisor.window import SupervisorWindow
from cati_app.server.models import CaseState
from tests.desktop.supervision_server import WAIT_MS, Server, sign_in
from tests.support.factories import seed_case, seed_conflict, seed_version


def titles(window: SupervisorWindow) -> list[str]:
    return [window.tabs.tabText(i) for i in range(window.tabs.count())]


def click_tab(qtbot, window: SupervisorWindow, title: str) -> None:
    bar = window.tabs.tabBar()
    [index] = [i for i in range(bar.count()) if bar.tabText(i).startswith(title)]
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert window.tabs.currentIndex() == index


def click_row(qtbot, view: QAbstractItemView, row: int) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def seed_double_completion(server: Server) -> int:
    case_id = seed_case(server.ctx, server.service_id, state=CaseState.NEEDS_SUPERVISOR)
    first = seed_version(server.ctx, case_id, server.ids["enum1"], primary=True)
    second = seed_version(server.ctx, case_id, server.ids["enum2"], primary=False)
    return seed_conflict(server.ctx, case_id, [first.version_uuid, second.version_uuid])


def seed_pending_interview(server: Server) -> None:
    case_id = seed_case(server.ctx, server.service_id, state=CaseState.CLOSED)
    seed_version(server.ctx, case_id, server.ids["enum1"], primary=True)


def open_window(qtbot, server: Server, settings: Settings) -> tuple[AppSession,
                                                                   SupervisorWindow]:
    session = sign_in(qtbot, server, settings, "sup")
    window = session.window
    assert isinstance(window, SupervisorWindow)
    window.resize(1200, 760)
    window.show()
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)
    assert titles(window)[2:4] == ["Conflicts", "Review"]  # nothing waits yet
    return session, window


def close(qtbot, session: AppSession, window: SupervisorWindow) -> None:
    window.close()
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)


def test_counts_arrive_on_the_windows_clock(qtbot, server: Server, settings: Settings) -> None:
    settings.set(REFRESH_SECONDS, 1)
    session, window = open_window(qtbot, server, settings)
    seed_double_completion(server)
    seed_pending_interview(server)

    qtbot.waitUntil(lambda: titles(window)[2:4] == ["Conflicts (1)", "Review (2)"],
                    timeout=WAIT_MS)  # the conflict's primary version waits for review too
    click_tab(qtbot, window, "Conflicts")
    assert window.conflicts.list_status.text() == "1 open"
    assert window.conflicts.conflicts.rowCount() == 1
    click_tab(qtbot, window, "Review")
    assert window.review.list_status.text() == "2 interview(s) waiting for review."
    close(qtbot, session, window)


def test_showing_a_tab_refreshes_it(qtbot, server: Server, settings: Settings) -> None:
    session, window = open_window(qtbot, server, settings)  # the clock: every 30 s
    seed_double_completion(server)
    click_tab(qtbot, window, "Conflicts")
    qtbot.waitUntil(lambda: window.conflicts.list_status.text() == "1 open", timeout=WAIT_MS)
    assert titles(window)[2] == "Conflicts (1)"
    close(qtbot, session, window)


def test_the_list_a_supervisor_works_in_stays_still(qtbot, server: Server,
                                                    settings: Settings) -> None:
    settings.set(REFRESH_SECONDS, 1)
    session, window = open_window(qtbot, server, settings)
    seed_double_completion(server)
    click_tab(qtbot, window, "Conflicts")
    qtbot.waitUntil(lambda: window.conflicts.conflicts.rowCount() == 1, timeout=WAIT_MS)
    click_row(qtbot, window.conflicts.list_view, 0)
    qtbot.waitUntil(lambda: window.conflicts.detail is not None, timeout=WAIT_MS)
    opened = window.conflicts.detail

    seed_double_completion(server)  # a second conflict while the first is being read
    qtbot.waitUntil(lambda: titles(window)[3] == "Review (2)", timeout=WAIT_MS)  # a tick ran
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)
    assert window.conflicts.conflicts.rowCount() == 1  # not redrawn under the supervisor
    assert window.conflicts.detail is opened
    close(qtbot, session, window)
