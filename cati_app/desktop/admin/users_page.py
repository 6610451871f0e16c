"""Accounts: create one, change its role, reset its password, deactivate or reactivate it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from cati_app.core.languages import LANGUAGES, REFUSAL_CONVERSION
from cati_app.core.protocol import Role
from cati_app.core.protocol_supervision import UserOut, UserStatus
from cati_app.desktop.admin.list_page import ListPage
from cati_app.desktop.display import thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.table_model import Column, translate
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.admin_api import AdminApi

USER_COLUMNS: list[Column[UserOut]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Username"), lambda u: u.username),
    Column(QT_TRANSLATE_NOOP("Column", "Full name"), lambda u: u.full_name),
    Column(QT_TRANSLATE_NOOP("Column", "Role"), lambda u: u.role.value),
    Column(QT_TRANSLATE_NOOP("Column", "Active"),
           lambda u: translate("Column", "yes") if u.active else translate("Column", "no")),
    Column(QT_TRANSLATE_NOOP("Column", "Languages"), lambda u: ", ".join(u.languages)),
    Column(QT_TRANSLATE_NOOP("Column", "Skills"),
           lambda u: translate("Column", "refusal conversion")
           if REFUSAL_CONVERSION in u.skills else ""),
    Column(QT_TRANSLATE_NOOP("Column", "Created"), lambda u: thimphu_time(u.created_at)),
]

#: the languages' names as the check boxes show them (translated; the codes never are)
LANGUAGE_NAMES = {
    "dz": QT_TRANSLATE_NOOP("UsersPage", "Dzongkha"),
    "tsj": QT_TRANSLATE_NOOP("UsersPage", "Tshangla (Sharchop)"),
    "ne": QT_TRANSLATE_NOOP("UsersPage", "Lhotshamkha (Nepali)"),
    "en": QT_TRANSLATE_NOOP("UsersPage", "English"),
}
assert set(LANGUAGE_NAMES) == set(LANGUAGES)


def _role_box() -> QComboBox:
    box = QComboBox()
    for role in Role:
        box.addItem(role.value, role)
    return box


def _password_field(placeholder: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(placeholder)
    return field


class UsersPage(ListPage[UserOut]):
    def __init__(self, api: AdminApi, runner: BackgroundRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(runner, USER_COLUMNS, api.users, parent)
        self.api = api
        self.add_section(self._new_account_box())
        self.add_section(self._selected_account_box())
        self.add_section(self._skills_box())
        self.selection_changed()

    def row_key(self, row: UserOut) -> str:
        return row.username

    # --- a new account ---------------------------------------------------------------------

    def _new_account_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("New account"))
        form = QFormLayout(box)
        self.new_username = QLineEdit()
        self.new_full_name = QLineEdit()
        self.new_role = _role_box()
        self.new_password = _password_field(
            self.tr("at least 10 characters (12 for an admin), not a common one"))
        self.create_button = QPushButton(self.tr("&Create the account"))
        self.create_button.clicked.connect(self.create_account)
        form.addRow(self.tr("&Username:"), self.new_username)
        form.addRow(self.tr("Full &name:"), self.new_full_name)
        form.addRow(self.tr("R&ole:"), self.new_role)
        form.addRow(self.tr("&Password:"), self.new_password)
        form.addRow("", self.create_button)
        return box

    def create_account(self) -> None:
        username = self.new_username.text().strip()
        if not username or not self.new_password.text():
            self.status.setText(self.tr("Give the new account a username and a password."))
            return
        role = Role(self.new_role.currentData())
        password = self.new_password.text()
        full_name = self.new_full_name.text()

        def done(user: UserOut) -> str:
            for field in (self.new_username, self.new_full_name, self.new_password):
                field.clear()
            return self.tr("Account {name} created ({role}).").format(name=user.username,
                                                                      role=user.role.value)

        self.act(lambda: self.api.create_user(username, full_name, role, password), done)

    # --- the selected account --------------------------------------------------------------

    def _selected_account_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Selected account"))
        row = QHBoxLayout(box)
        self.role = _role_box()
        self.role_button = QPushButton(self.tr("Change &role"))
        self.role_button.clicked.connect(self.change_role)
        self.password = _password_field(self.tr("new password"))
        self.password_button = QPushButton(self.tr("Re&set password"))
        self.password_button.clicked.connect(self.reset_password)
        self.active_button = QPushButton(self.tr("&Deactivate"))
        self.active_button.clicked.connect(self.toggle_active)
        for widget in (self.role, self.role_button, self.password, self.password_button,
                       self.active_button, self.refresh_button):
            row.addWidget(widget)
        return box

    def _skills_box(self) -> QGroupBox:
        """Languages the selected person interviews in and their skills (issue 18): check
        boxes a person reaches with Tab and toggles with Space, saved by one button."""
        box = QGroupBox(self.tr("Languages and skills of the selected account"))
        row = QHBoxLayout(box)
        self.language_boxes = {code: QCheckBox(translate("UsersPage", name))
                               for code, name in LANGUAGE_NAMES.items()}
        self.conversion_box = QCheckBox(self.tr("Refusal con&version (approved by a "
                                                "supervisor)"))
        self.skills_button = QPushButton(self.tr("Save lan&guages and skills"))
        self.skills_button.clicked.connect(self.save_skills)
        for widget in (*self.language_boxes.values(), self.conversion_box, self.skills_button):
            row.addWidget(widget)
        return box

    def _skill_widgets(self) -> list[QWidget]:
        return [*self.language_boxes.values(), self.conversion_box, self.skills_button]

    def selection_changed(self) -> None:
        user = self.selected()
        for widget in (self.role, self.role_button, self.password, self.password_button,
                       self.active_button, *self._skill_widgets()):
            widget.setEnabled(user is not None)
        if user is not None:
            for code, check in self.language_boxes.items():
                check.setChecked(code in user.languages)
            self.conversion_box.setChecked(REFUSAL_CONVERSION in user.skills)
            self.role.setCurrentIndex(self.role.findData(user.role))
            self.active_button.setText(self.tr("&Deactivate") if user.active
                                       else self.tr("Re&activate"))

    def change_role(self) -> None:
        user = self.selected()
        role = Role(self.role.currentData())
        if user is None or role == user.role:
            return
        self.act(lambda: self.api.set_role(user.username, role),
                 lambda reply: self.tr("{name} is now {role}; their sessions ended, so they "
                                       "sign in again.").format(name=reply.user.username,
                                                                role=reply.user.role.value))

    def save_skills(self) -> None:
        user = self.selected()
        if user is None:
            return
        languages = [code for code, check in self.language_boxes.items() if check.isChecked()]
        skills = [REFUSAL_CONVERSION] if self.conversion_box.isChecked() else []

        def done(reply: UserStatus) -> str:
            spoken = ", ".join(translate("UsersPage", LANGUAGE_NAMES[c])
                               for c in reply.user.languages)
            return self.tr("{name} now interviews in: {languages}.").format(
                name=reply.user.username, languages=spoken or self.tr("no language yet"))

        self.act(lambda: self.api.set_skills(user.username, languages, skills), done)

    def reset_password(self) -> None:
        user = self.selected()
        password = self.password.text()
        if user is None or not password:
            self.status.setText(self.tr("Type the new password first."))
            return

        def done(reply: UserStatus) -> str:
            self.password.clear()
            return self.tr("New password set for {name}; every device of theirs signs in "
                           "again.").format(name=reply.user.username)

        self.act(lambda: self.api.reset_password(user.username, password), done)

    def toggle_active(self) -> None:
        user = self.selected()
        if user is None:
            return
        if user.active:
            self.confirm(self.tr("Deactivate {name}?").format(name=user.username),
                         self.tr("{name} can no longer sign in, and the cases they hold go "
                                 "back to the pool.").format(name=user.username),
                         lambda: self.act(lambda: self.api.set_active(user.username, False),
                                          self._deactivated))
        else:
            self.act(lambda: self.api.set_active(user.username, True),
                     lambda reply: self.tr("{name} can sign in again.").format(
                         name=reply.user.username))

    def _deactivated(self, reply: UserStatus) -> str:
        return self.tr("{name} is deactivated; {count} case(s) went back to the pool.").format(
            name=reply.user.username, count=reply.cases_returned)
