"""The admin's room end to end against the real server on a loopback port, driven the way
a person does (typing, clicking, confirming): accounts, devices, locked accounts, services,
call lists, calling rules, and the audit trail with its CSV export."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QTableView
from sqlalchemy import select

from cati_app.client.admin_api import AdminApi, AuditApi
from cati_app.client.api import ApiClient, AuthExpired, RequestRejected, Throttled
from cati_app.client.supervisor_api import SupervisorApi
from cati_app.desktop.admin.list_page import ListPage
from cati_app.desktop.admin.window import AdminWindow
from cati_app.desktop.worker import BackgroundRunner
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import Service, User
from tests.desktop.supervision_server import ADMIN_PEOPLE, supervision_server
from tests.support.constants import PASSWORD

WAIT_MS = 10_000
NEW_PASSWORD = "a fresh long passphrase"


@dataclass
class Server:
    ctx: AppContext
    url: str

    def client(self, username: str, password: str = PASSWORD) -> ApiClient:
        client = ApiClient(self.url, timeout=10)
        client.login(username, password, f"dev-{username}")
        return client

    def user(self, username: str) -> User | None:
        with transaction(self.ctx.sessions) as session:
            return session.scalar(select(User).where(User.username == username))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """New devices wait for an admin's approval (admins' own never do)."""
    with supervision_server(tmp_path, ADMIN_PEOPLE, require_device_approval=True) as served:
        yield Server(served.ctx, served.url)


@pytest.fixture
def window(qtbot, server: Server, tmp_path: Path) -> AdminWindow:
    client = server.client("root")
    opened: list[str] = []
    window = AdminWindow(AdminApi(client), AuditApi(client), BackgroundRunner(),
                         full_name="Root", today=lambda: date(2026, 6, 2),
                         open_supervision=lambda: opened.append("supervision"))  # type: ignore[arg-type, return-value]
    window.opened = opened  # type: ignore[attr-defined]
    qtbot.addWidget(window)
    window.resize(1300, 800)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.users.model.rowCount() == 3, timeout=WAIT_MS)
    return window


def show_tab(qtbot, window: AdminWindow, page) -> None:  # noqa: ANN001
    bar = window.tabs.tabBar()
    index = window.tabs.indexOf(page)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert window.tabs.currentWidget() is page


def click_row(qtbot, table: QTableView, key: str) -> None:
    """Click the row whose first column reads ``key``."""
    model = table.model()
    for row in range(model.rowCount()):
        if model.index(row, 0).data() == key:
            table.scrollTo(model.index(row, 0))
            rect = table.visualRect(model.index(row, 0))
            qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            return
    raise AssertionError(f"no row {key!r}")


def click(qtbot, button) -> None:  # noqa: ANN001
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def type_into(qtbot, field, text: str) -> None:  # noqa: ANN001
    field.setFocus()
    qtbot.keyClicks(field, text)


def choose(qtbot, combo, text: str) -> None:  # noqa: ANN001
    """Pick an item with the keys a person uses: Home, then Down until it shows."""
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText() == text:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == text


def answer_yes(qtbot, page: ListPage) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: getattr(page, "question", None) is not None
                    and page.question.isVisible(), timeout=WAIT_MS)
    qtbot.mouseClick(page.question.button(QMessageBox.StandardButton.Yes),
                     Qt.MouseButton.LeftButton)


def wait_status(qtbot, page, *words: str) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: all(w in page.status.text() for w in words), timeout=WAIT_MS)


def test_accounts_are_created_changed_reset_and_deactivated(qtbot, qtmodeltester,
                                                            window: AdminWindow,
                                                            server: Server) -> None:
    page = window.users
    qtmodeltester.check(page.model)
    type_into(qtbot, page.new_username, "dechen")
    type_into(qtbot, page.new_full_name, "Dechen Wangmo")
    choose(qtbot, page.new_role, "supervisor")
    type_into(qtbot, page.new_password, PASSWORD)
    click(qtbot, page.create_button)
    wait_status(qtbot, page, "dechen", "created")
    qtbot.waitUntil(lambda: page.model.rowCount() == 4, timeout=WAIT_MS)
    qtmodeltester.check(page.model)
    assert page.new_username.text() == "" and page.new_password.text() == ""
    created = server.user("dechen")
    assert created is not None and created.role == "supervisor"

    click_row(qtbot, page.table, "dechen")
    choose(qtbot, page.role, "admin")  # (an admin's devices never wait for approval)
    click(qtbot, page.role_button)
    wait_status(qtbot, page, "dechen is now admin")
    assert server.user("dechen").role == "admin"  # type: ignore[union-attr]

    type_into(qtbot, page.password, NEW_PASSWORD)
    click(qtbot, page.password_button)
    wait_status(qtbot, page, "New password set for dechen")
    server.client("dechen", NEW_PASSWORD)  # the new password lets them in
    with pytest.raises(AuthExpired):
        server.client("dechen", PASSWORD)

    assert page.active_button.text() == "&Deactivate"
    click(qtbot, page.active_button)
    answer_yes(qtbot, page)
    wait_status(qtbot, page, "dechen is deactivated")
    assert server.user("dechen").active is False  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: page.active_button.text() == "Re&activate", timeout=WAIT_MS)

    # the server's refusal is shown as it says it: nobody changes their own role
    click_row(qtbot, page.table, "root")
    choose(qtbot, page.role, "analyst")
    click(qtbot, page.role_button)
    wait_status(qtbot, page, "Not done", "your own role")


def test_devices_are_approved_and_revoked_and_locks_undone(qtbot, qtmodeltester,
                                                           window: AdminWindow,
                                                           server: Server) -> None:
    with pytest.raises(Exception, match="waiting for approval"):
        server.client("enum1")  # a new device waits for the admin
    page = window.devices
    show_tab(qtbot, window, page)
    click(qtbot, page.refresh_button)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)
    qtmodeltester.check(page.model)
    click_row(qtbot, page.table, "dev-enum1")
    click(qtbot, page.approve_button)
    wait_status(qtbot, page, "dev-enum1", "approved")
    server.client("enum1")  # in now
    qtbot.waitUntil(lambda: not page.approve_button.isEnabled(), timeout=WAIT_MS)
    click(qtbot, page.revoke_button)
    answer_yes(qtbot, page)
    wait_status(qtbot, page, "revoked")
    with pytest.raises(AuthExpired, match="revoked"):
        server.client("enum1")

    limit = server.ctx.settings.login_failures_per_account
    for _ in range(limit):
        with pytest.raises(AuthExpired):
            server.client("sup", "not the password")
    with pytest.raises(Throttled):
        server.client("sup")
    locks = window.locks
    show_tab(qtbot, window, locks)
    click(qtbot, locks.refresh_button)
    qtbot.waitUntil(lambda: locks.model.rowCount() == 1, timeout=WAIT_MS)
    qtmodeltester.check(locks.model)
    click_row(qtbot, locks.table, "sup")
    click(qtbot, locks.unlock_button)
    wait_status(qtbot, locks, "sup can sign in again", f"{limit} failed")
    qtbot.waitUntil(lambda: locks.model.rowCount() == 0, timeout=WAIT_MS)
    # no longer throttled: the password is checked again (and the new device waits)
    with pytest.raises(RequestRejected, match="waiting for approval"):
        server.client("sup")


def test_services_call_lists_and_calling_rules(qtbot, qtmodeltester, window: AdminWindow,
                                               server: Server) -> None:
    page = window.services
    show_tab(qtbot, window, page)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT_MS)
    type_into(qtbot, page.new_code, "PASS")
    type_into(qtbot, page.new_name, "Passport renewal")
    type_into(qtbot, page.new_agency, "DoI")
    click(qtbot, page.add_button)
    wait_status(qtbot, page, "Service PASS added")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)
    qtmodeltester.check(page.model)
    click_row(qtbot, page.table, "PASS")
    assert page.name.text() == "Passport renewal"
    page.name.selectAll()
    qtbot.keyClicks(page.name, "Passport (renewal)")
    click(qtbot, page.save_button)
    wait_status(qtbot, page, "Service PASS saved")
    with transaction(server.ctx.sessions) as session:
        assert session.scalar(select(Service.name).where(Service.code == "PASS")) \
            == "Passport (renewal)"

    sup = SupervisorApi(server.client("root"))
    tmp = Path(server.ctx.settings.database_url.removeprefix("sqlite:///")).parent
    (tmp / "june.csv").write_text("name,phone\nDorji,+97517120001\nPema,+97517120002\n")
    sup.import_sample(tmp / "june.csv", "PASS", "June list")
    lists = window.call_lists
    show_tab(qtbot, window, lists)
    click(qtbot, lists.refresh_button)
    qtbot.waitUntil(lambda: lists.model.rowCount() == 1, timeout=WAIT_MS)
    qtmodeltester.check(lists.model)
    batch = lists.model.row_at(0)
    assert (batch.name, batch.service_code, batch.imported_by, batch.cases) == (
        "June list", "PASS", "root", 2)

    rules = window.rules
    show_tab(qtbot, window, rules)
    qtbot.waitUntil(lambda: "version 0" in rules.version.text(), timeout=WAIT_MS)
    shown = json.loads(rules.editor.toPlainText())
    shown["attempt_cap"] = 4
    rules.editor.setFocus()
    rules.editor.selectAll()
    qtbot.keyClicks(rules.editor, json.dumps(shown))
    click(qtbot, rules.save_button)
    qtbot.waitUntil(lambda: "Saved as version 1" in rules.status.text(), timeout=WAIT_MS)
    assert json.loads(rules.editor.toPlainText())["attempt_cap"] == 4
    rules.editor.selectAll()
    qtbot.keyClicks(rules.editor, '{"attempt_cap": "many"}')
    click(qtbot, rules.save_button)
    qtbot.waitUntil(lambda: "Not done" in rules.status.text(), timeout=WAIT_MS)
    rules.editor.selectAll()
    qtbot.keyClicks(rules.editor, "not json")
    click(qtbot, rules.save_button)
    assert "not valid JSON" in rules.status.text()


def test_the_audit_trail_filters_and_exports_safe_csv(qtbot, qtmodeltester,
                                                      window: AdminWindow, server: Server,
                                                      tmp_path: Path) -> None:
    users_page = window.users
    type_into(qtbot, users_page.new_username, "=HYPERLINK(1)")
    choose(qtbot, users_page.new_role, "admin")
    type_into(qtbot, users_page.new_password, NEW_PASSWORD)
    click(qtbot, users_page.create_button)
    wait_status(qtbot, users_page, "created")
    server.client("=HYPERLINK(1)", NEW_PASSWORD)  # their login is audited under their name

    page = window.audit
    show_tab(qtbot, window, page)
    type_into(qtbot, page.action, "user")
    qtbot.keyClick(page.action, Qt.Key.Key_Return)
    # the three accounts of the fixture were made by the system (no user), the newest by root
    qtbot.waitUntil(lambda: page.model.rowCount() == 4, timeout=WAIT_MS)
    qtmodeltester.check(page.model)
    entry = page.model.row_at(0)
    assert (entry.action, entry.username) == ("user.create", "root")
    assert {row.action for row in page.model.rows()} == {"user.create"}
    assert page.shown.text() == "1–4 of 4 entries"

    page.action.clear()
    type_into(qtbot, page.user, "=HYPERLINK(1)")
    qtbot.keyClick(page.user, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)
    assert {row.action for row in page.model.rows()} == {"auth.login", "device.new"}
    page.use_from.click()
    page.date_from.setFocus()
    qtbot.keyClicks(page.date_from, "2026-06-03")
    click(qtbot, page.search_button)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=WAIT_MS)
    page.use_from.click()

    target = tmp_path / "audit.csv"
    page.choose_save = lambda *_args: str(target)
    click(qtbot, page.export_button)
    wait_status(qtbot, page, "2 entries saved to audit.csv")
    with target.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0][:3] == ["id", "at (Thimphu)", "user"]
    # the username would be a formula in a spreadsheet: the cell is text
    assert {row[2] for row in rows[1:]} == {"'=HYPERLINK(1)"}
    assert not list(tmp_path.glob("*.part"))


def test_the_supervisors_room_opens_from_the_window_menu(qtbot, window: AdminWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_S,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.opened == ["supervision"]  # type: ignore[attr-defined]
