"""The admin's main window: one tab per topic (accounts, devices, locked accounts, services,
call lists, calling rules, the audit trail). The supervisor's room opens from the Window
menu, for the fieldwork an admin also oversees. Everything it needs is passed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

from cati_app.desktop.admin.devices_page import DevicesPage, LocksPage
from cati_app.desktop.admin.rules_page import RulesPage
from cati_app.desktop.admin.services_page import CallListsPage, ServicesPage
from cati_app.desktop.admin.users_page import UsersPage
from cati_app.desktop.shared.audit_page import AuditTrailPage
from cati_app.desktop.shared.do_not_call_page import DoNotCallRegisterPage
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.admin_api import AdminApi, AuditApi


class AdminWindow(QMainWindow):
    def __init__(self, api: AdminApi, audit_api: AuditApi, runner: BackgroundRunner, *,
                 full_name: str, today: Callable[[], date],
                 open_supervision: Callable[[], QMainWindow],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("ServE CATI — administration — {name}").format(
            name=full_name))
        self.open_supervision = open_supervision
        self.users = UsersPage(api, runner)
        self.devices = DevicesPage(api, runner)
        self.locks = LocksPage(api, runner)
        self.services = ServicesPage(api, runner)
        self.call_lists = CallListsPage(api, runner)
        self.rules = RulesPage(api, runner)
        self.audit = AuditTrailPage(audit_api, runner, today)
        self.do_not_call = DoNotCallRegisterPage(api.do_not_call(), runner, can_remove=True)
        self.tabs = QTabWidget()
        for page, title in ((self.users, self.tr("&Users")), (self.devices, self.tr("De&vices")),
                            (self.locks, self.tr("&Locked accounts")),
                            (self.services, self.tr("&Services")),
                            (self.call_lists, self.tr("Call l&ists")),
                            (self.rules, self.tr("Calling &rules")),
                            (self.do_not_call, self.tr("Do not &call")),
                            (self.audit, self.tr("&Audit trail"))):
            self.tabs.addTab(page, title)
        self.setCentralWidget(self.tabs)
        # a change on one page can show on another (a deactivation is audited, say)
        for page in (self.users, self.devices, self.locks, self.services, self.do_not_call):
            page.changed.connect(self.audit.refresh)
        self.users.changed.connect(self.locks.refresh)
        self._build_menu()

    def _build_menu(self) -> None:
        window = self.menuBar().addMenu(self.tr("&Window"))
        for text, keys, slot in (
            (self.tr("&Supervisor's room"), "Ctrl+Shift+S", self.open_supervision),
            (self.tr("Re&fresh"), "F5", self.refresh),
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
            window.addAction(action)

    def start(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        for page in (self.users, self.devices, self.locks, self.services, self.call_lists,
                     self.rules, self.audit, self.do_not_call):
            page.refresh()
