"""Devices (approve one waiting, revoke one) and accounts locked by failed logins (unlock)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from cati_app.core.protocol_admin import LockedAccount
from cati_app.core.protocol_supervision import DeviceOut
from cati_app.desktop.admin.list_page import ListPage
from cati_app.desktop.display import thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.table_model import Column
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.admin_api import AdminApi

DEVICE_COLUMNS: list[Column[DeviceOut]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Device"), lambda d: d.device_id),
    Column(QT_TRANSLATE_NOOP("Column", "Username"), lambda d: d.username),
    Column(QT_TRANSLATE_NOOP("Column", "Status"), lambda d: d.status),
    Column(QT_TRANSLATE_NOOP("Column", "First seen"), lambda d: thimphu_time(d.first_seen)),
    Column(QT_TRANSLATE_NOOP("Column", "Last seen"), lambda d: thimphu_time(d.last_seen)),
]

LOCK_COLUMNS: list[Column[LockedAccount]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Username"), lambda lock: lock.username),
    Column(QT_TRANSLATE_NOOP("Column", "Failed logins"), lambda lock: lock.failed_logins,
           numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Locked until"),
           lambda lock: thimphu_time(lock.locked_until)),
]


def _buttons(page: QWidget, *buttons: QPushButton) -> QWidget:
    holder = QWidget(page)
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return holder


class DevicesPage(ListPage[DeviceOut]):
    def __init__(self, api: AdminApi, runner: BackgroundRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(runner, DEVICE_COLUMNS, api.devices, parent)
        self.api = api
        self.approve_button = QPushButton(self.tr("&Approve"))
        self.approve_button.clicked.connect(self.approve)
        self.revoke_button = QPushButton(self.tr("Re&voke…"))
        self.revoke_button.clicked.connect(self.revoke)
        self.add_section(_buttons(self, self.approve_button, self.revoke_button,
                                  self.refresh_button))
        self.selection_changed()

    def row_key(self, row: DeviceOut) -> tuple[str, str]:
        return (row.device_id, row.username)

    def selection_changed(self) -> None:
        device = self.selected()
        self.approve_button.setEnabled(device is not None and device.status == "waiting")
        self.revoke_button.setEnabled(device is not None and device.status != "revoked")

    def approve(self) -> None:
        device = self.selected()
        if device is None:
            return
        self.act(lambda: self.api.approve_device(device.device_id, device.username),
                 lambda reply: self.tr("Device {device} of {name} approved: they can sign in "
                                       "now.").format(device=reply.device_id,
                                                      name=reply.username))

    def revoke(self) -> None:
        device = self.selected()
        if device is None:
            return
        self.confirm(
            self.tr("Revoke this device?"),
            self.tr("{name} can no longer sign in or sync from device {device}. A revoked "
                    "device stays revoked.").format(name=device.username,
                                                    device=device.device_id),
            lambda: self.act(lambda: self.api.revoke_device(device.device_id, device.username),
                             lambda _reply: self.tr("Device {device} of {name} revoked.").format(
                                 device=device.device_id, name=device.username)))


class LocksPage(ListPage[LockedAccount]):
    def __init__(self, api: AdminApi, runner: BackgroundRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(runner, LOCK_COLUMNS, api.locked_accounts, parent)
        self.api = api
        self.unlock_button = QPushButton(self.tr("&Unlock"))
        self.unlock_button.clicked.connect(self.unlock)
        self.add_section(_buttons(self, self.unlock_button, self.refresh_button))
        self.selection_changed()

    def row_key(self, row: LockedAccount) -> str:
        return row.username

    def selection_changed(self) -> None:
        self.unlock_button.setEnabled(self.selected() is not None)

    def unlock(self) -> None:
        lock = self.selected()
        if lock is None:
            return
        self.act(lambda: self.api.unlock(lock.username),
                 lambda reply: self.tr("{name} can sign in again ({count} failed login(s) "
                                       "forgotten).").format(
                     name=reply.user.username, count=reply.failed_logins_forgotten))
