"""Issue 18 in the supervisor's and admin's windows against the real server: the room bar's
backlog by language (a language piling up with nobody on shift stands out), and the admin
sets an enumerator's languages and conversion skill with the keyboard."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select, update

from cati_app.client.admin_api import AdminApi, AuditApi
from cati_app.client.api import ApiClient
from cati_app.desktop.admin.window import AdminWindow
from cati_app.desktop.settings import Settings
from cati_app.desktop.supervisor.window import SupervisorWindow
from cati_app.desktop.worker import BackgroundRunner
from cati_app.server.db import transaction
from cati_app.server.models import Case, User
from tests.desktop.supervision_server import (
    ADMIN_PEOPLE,
    WAIT_MS,
    Server,
    sign_in,
    supervision_server,
)
from tests.support.constants import PASSWORD, TUESDAY_10AM
from tests.support.factories import seed_cases


def test_the_room_bar_shows_the_backlog_by_language(qtbot, server: Server, settings: Settings):
    ids = seed_cases(server.ctx, server.service_id, 5)
    with transaction(server.ctx.sessions) as session:
        session.execute(update(Case).where(Case.id.in_(ids[:3])).values(language="ne"))
        session.execute(update(User).where(User.username == "enum1")
                        .values(languages=["dz", "en"], skills=["refusal_conversion"]))
    ApiClient(server.url, timeout=10).login("enum1", PASSWORD, "dev-enum1")  # on shift
    window = SupervisorWindow(server.api(), BackgroundRunner(), settings,
                              full_name="Sonam Wangmo", today=lambda: TUESDAY_10AM.date())
    qtbot.addWidget(window)
    window.show()
    window.start()
    line = window.room.languages
    qtbot.waitUntil(lambda: "Queued by language" in line.text(), timeout=WAIT_MS)
    text = line.text()
    assert "Dzongkha 2 (1)" in text
    assert "⚠ Lhotshamkha (Nepali) 3 (0) nobody on shift speaks it" in text
    assert "Tshangla (Sharchop) 0 (0)" in text and "⚠ Tshangla" not in text
    assert "converters on shift: 1" in text


def test_the_admin_sets_languages_and_the_conversion_skill_by_keyboard(qtbot, tmp_path: Path):
    with supervision_server(tmp_path, ADMIN_PEOPLE) as server:
        client = ApiClient(server.url, timeout=10)
        client.login("root", PASSWORD, "dev-root")
        window = AdminWindow(AdminApi(client), AuditApi(client), BackgroundRunner(),
                             full_name="Root", today=lambda: date(2026, 6, 2),
                             open_supervision=lambda: None)
        qtbot.addWidget(window)
        window.show()
        window.start()
        page = window.users
        qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=WAIT_MS)
        assert not page.skills_button.isEnabled()  # nobody selected yet
        row = next(r for r in range(page.model.rowCount())
                   if page.model.index(r, 0).data() == "enum1")
        page.table.selectRow(row)
        assert page.skills_button.isEnabled()
        # Tab to each box and toggle it with Space, as a person without a mouse does
        for box in (page.language_boxes["ne"], page.language_boxes["tsj"], page.conversion_box):
            box.setFocus()
            qtbot.keyClick(box, Qt.Key.Key_Space)
        page.skills_button.setFocus()
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: "now interviews in" in page.status.text(), timeout=WAIT_MS)
        assert "Tshangla (Sharchop), Lhotshamkha (Nepali)" in page.status.text()
        with transaction(server.ctx.sessions) as session:
            user = session.scalar(select(User).where(User.username == "enum1"))
            assert (user.languages, user.skills) == (["tsj", "ne"], ["refusal_conversion"])
        columns = [page.model.headerData(c, Qt.Orientation.Horizontal)
                   for c in range(page.model.columnCount())]
        qtbot.waitUntil(lambda: page.model.index(row, columns.index("Languages")).data()
                        == "tsj, ne", timeout=WAIT_MS)
        assert page.model.index(row, columns.index("Skills")).data() == "refusal conversion"
        assert page.language_boxes["ne"].isChecked() and not page.language_boxes["dz"].isChecked()


def test_the_analyst_reads_rates_and_scores_per_respondent_language(
        qtbot, server: Server, settings: Settings):
    ids = seed_cases(server.ctx, server.service_id, 3)  # seeded in Dzongkha
    with transaction(server.ctx.sessions) as session:
        session.execute(update(Case).where(Case.id == ids[0]).values(language="ne"))
    session = sign_in(qtbot, server, settings, "ana")
    window = session.window
    window.show()
    qtbot.waitUntil(lambda: window.rates.service.count() == 2, timeout=WAIT_MS)
    window.tabs.setCurrentWidget(window.rates)
    page = window.rates
    page.by.setFocus()
    qtbot.keyClicks(page.by, "R")  # "Respondent language" by its first letter
    assert page.by.currentData() == "language"
    qtbot.keyClick(page.by, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=WAIT_MS)
    rows = page.model.rows()
    assert [(r.group, r.rates.cases_total) for r in rows] == [
        ("Dzongkha", 2), ("Lhotshamkha (Nepali)", 1), ("All", 3)]
    header = [page.model.headerData(c, Qt.Orientation.Horizontal)
              for c in range(page.model.columnCount())]
    assert page.model.index(0, header.index("Composite")).data() == "n/a"
    window.close()
    qtbot.waitUntil(lambda: session.runner.busy == 0, timeout=WAIT_MS)
