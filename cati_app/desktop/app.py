"""``cati-app``: the desktop client. Sign in, then the workspace the user's role allows."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow

from cati_app import __version__
from cati_app.core.clock import SystemClock
from cati_app.desktop.enumerator.controller import EnumeratorController
from cati_app.desktop.enumerator.dialer import SystemDialer
from cati_app.desktop.enumerator.sync_control import SyncController
from cati_app.desktop.enumerator.window import EnumeratorWindow
from cati_app.desktop.fonts import register_dzongkha_font
from cati_app.desktop.i18n import install_language
from cati_app.desktop.login import LoginDialog
from cati_app.desktop.settings import (
    AUTO_SYNC_MINUTES,
    DIAL_COMMAND,
    SERVER_URL,
    TARGET_QUEUE_SIZE,
    THEME,
    UI_LANGUAGE,
    Settings,
)
from cati_app.desktop.theme import apply_theme, follow_system, set_high_dpi_policy
from cati_app.desktop.worker import BackgroundRunner


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cati-app", description="ServE CATI desktop client")
    parser.add_argument("--server", metavar="URL",
                        help="server address, e.g. https://cati.example.bt (remembered)")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--self-test", action="store_true",
                        help="check the installation (fonts, forms, questionnaire, main window) "
                             "without a server; exit 0 when all is well")
    return parser.parse_args(argv)

# replies to requests sent before a new login are not a reason to ask again
RENEWAL_GRACE_SECONDS = 30.0


@dataclass
class LoginResult:
    server: str
    api: Any  # cati_app.client.api.ApiClient holding the new token
    token: Any  # cati_app.core.protocol.TokenResponse
    device_id: str


def authenticate(server: str, username: str, password: str) -> LoginResult:
    """Runs on a worker thread (see LoginDialog)."""
    from cati_app.client.api import ApiClient
    from cati_app.client.paths import data_dir, device_id

    api = ApiClient(server)
    device = device_id(data_dir())
    token = api.login(username, password, device)
    if str(token.role) == "agency":
        # read-only agency accounts have no desktop workspace: their scorecard is on the web
        raise AgencyAccount(QCoreApplication.translate(
            "AppSession", "this is an agency account: open the scorecard in a web browser at "
            "{url}").format(url=server.rstrip("/") + "/scorecard/"))
    return LoginResult(server, api, token, device)


class AgencyAccount(Exception):
    """An agency account signed in to the desktop (the login dialog shows the message)."""


class AppSession:
    """Owns what lives as long as a login: the API client, the local store, the window."""

    def __init__(self, settings: Settings, runner: BackgroundRunner,
                 dzongkha_family: str | None) -> None:
        self.settings = settings
        self.runner = runner
        self.dzongkha_family = dzongkha_family
        self.window: QMainWindow | None = None
        self.store: Any = None
        self.sync: SyncController | None = None
        self.login: LoginResult | None = None
        self.relogin: LoginDialog | None = None
        self.renewed_at = -RENEWAL_GRACE_SECONDS
        # the admin's second window (the supervisor's room), opened on demand
        self.supervision: QMainWindow | None = None
        self.signing_out = False
        self._watching_failures = False
        self._ending_sync: SyncController | None = None
        # how the app ends when nobody signs in after a sign-out (tests watch it)
        self.quit_app: Callable[[], object] = QApplication.quit

    def sign_in(self) -> bool:
        dialog = LoginDialog(self.settings, authenticate, self.runner)
        if dialog.exec() != LoginDialog.DialogCode.Accepted:
            return False
        self.login = dialog.login_result
        assert self.login is not None
        self.open_workspace(self.login)
        return True

    def open_workspace(self, login: LoginResult) -> None:
        """The workspace the role allows: enumerators work offline from their queue;
        supervisors supervise (exports included); admins administer (and reach the
        supervisor's room from the Window menu); analysts export. Every window has an
        Account menu to sign out or switch user without closing the app."""
        self.login = login
        role = str(login.token.role)
        if role == "enumerator":
            self._open_enumerator_workspace(login)
        elif role == "admin":
            self._open_admin_workspace(login)
        else:
            self._open_online_workspace(login, role)
        assert self.window is not None
        self._add_account_menu(self.window)

    def _today(self) -> Callable[[], Any]:
        from cati_app.core.clock import to_thimphu

        clock = SystemClock()
        return lambda: to_thimphu(clock.now()).date()

    def _supervisor_window(self, login: LoginResult, role: str) -> QMainWindow:
        from cati_app.client.supervisor_api import SupervisorApi
        from cati_app.desktop.analyst.window import AnalystWindow
        from cati_app.desktop.supervisor.window import SupervisorWindow

        kind = AnalystWindow if role == "analyst" else SupervisorWindow
        return kind(SupervisorApi(login.api), self.runner, self.settings,
                    full_name=login.token.full_name, today=self._today())

    def _open_online_workspace(self, login: LoginResult, role: str) -> None:
        self._show_online(self._supervisor_window(login, role))

    def _open_admin_workspace(self, login: LoginResult) -> None:
        from cati_app.client.admin_api import AdminApi, AuditApi
        from cati_app.desktop.admin.window import AdminWindow

        self._show_online(AdminWindow(AdminApi(login.api), AuditApi(login.api), self.runner,
                                      full_name=login.token.full_name, today=self._today(),
                                      open_supervision=self.open_supervision))

    def open_supervision(self) -> QMainWindow:
        """The admin's view of the fieldwork: the supervisor's room in a window of its own
        (one at a time; it closes with the admin's window)."""
        assert self.login is not None
        if self.supervision is None:
            window = self._supervisor_window(self.login, "supervisor")
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            window.destroyed.connect(self._supervision_closed)
            window.resize(1366, 800)
            window.show()
            getattr(window, "start", lambda: None)()
            self.supervision = window
        self.supervision.show()
        self.supervision.raise_()
        self.supervision.activateWindow()
        return self.supervision

    def _supervision_closed(self) -> None:
        self.supervision = None

    def _show_online(self, window: QMainWindow) -> None:
        self.window = window
        if not self._watching_failures:
            self.runner.task_failed.connect(self._online_call_failed)
            self._watching_failures = True
        window.resize(1366, 800)
        window.show()
        getattr(window, "start", lambda: None)()

    def _online_call_failed(self, error: BaseException) -> None:
        from cati_app.client.api import AuthExpired

        window = self.window
        # a request sent with the old token may fail just after a new login: not a new expiry
        just_renewed = time.monotonic() - self.renewed_at < RENEWAL_GRACE_SECONDS
        if isinstance(error, AuthExpired) and window is not None and not just_renewed:
            # what is on screen stays; once signed in again, reload it with the new token
            self.sign_in_again(after=getattr(window, "refresh", lambda: None))

    def _open_enumerator_workspace(self, login: LoginResult) -> None:
        token = login.token
        from cati_app.client.api import AuthExpired
        from cati_app.client.paths import data_dir, database_path
        from cati_app.client.store import LocalStore
        from cati_app.client.sync import SyncEngine, ack_file_for

        clock = SystemClock()
        path = database_path(data_dir(), login.server, token.username)
        self.store = LocalStore.open(path, username=token.username, clock=clock)
        engine = SyncEngine(self.store, login.api, clock, device_id=login.device_id,
                            ack_file=ack_file_for(path),
                            target_queue_size=self.settings.get(TARGET_QUEUE_SIZE))
        self.sync = SyncController(engine, self.runner, clock.now,
                                   interval_minutes=self.settings.get(AUTO_SYNC_MINUTES),
                                   auth_error=AuthExpired)
        controller = EnumeratorController(self.store, clock, username=token.username,
                                          full_name=token.full_name)
        window = EnumeratorWindow(controller, SystemDialer(self.settings.get(DIAL_COMMAND)),
                                  self.settings, sync=self.sync,
                                  dzongkha_family=self.dzongkha_family)
        sync = self.sync

        def resume_sync() -> None:
            sync.start_automatic()
            sync.sync_now()

        self.sync.auth_expired.connect(lambda _reason: self.sign_in_again(after=resume_sync))
        self.window = window
        window.resize(1280, 760)
        window.show()
        window.start_background_work()
        self.sync.sync_now()

    def sign_in_again(self, after: Callable[[], object] = lambda: None) -> None:
        """The server said the login expired: ask for the password again over the window,
        which keeps what it shows (and the enumerator's local work goes on meanwhile). One
        dialog at a time, however many requests failed."""
        assert self.login is not None
        if self.relogin is not None and self.relogin.isVisible():
            return
        login = self.login

        def again(_server: str, username: str, password: str) -> Any:
            return login.api.login(username, password, login.device_id)

        dialog = LoginDialog(self.settings, again, self.runner, server_fixed=login.server,
                             username_fixed=login.token.username, parent=self.window)
        dialog.setWindowTitle(QCoreApplication.translate("AppSession",
                                                         "Sign in again — your login has expired"))
        dialog.accepted.connect(self._renewed)
        dialog.accepted.connect(after)
        self.relogin = dialog
        dialog.open()

    def _renewed(self) -> None:
        self.renewed_at = time.monotonic()

    # --- signing out ---------------------------------------------------------------------

    def _add_account_menu(self, window: QMainWindow) -> None:
        menu = window.menuBar().addMenu(QCoreApplication.translate("AppSession", "A&ccount"))
        action = QAction(QCoreApplication.translate("AppSession", "&Sign out / switch user…"),
                         window)
        action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: self.sign_out())
        menu.addAction(action)
        # the window goes when it is really closed: its own closeEvent decides (the
        # enumerator's saves typed text and offers to send unsent work first, and may
        # close later, once the work is sent)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.destroyed.connect(self._window_gone)

    def sign_out(self) -> None:
        """Close the window the way its close button does, then ask who signs in next. The
        app keeps running meanwhile; cancelling the login dialog quits it."""
        if self.window is None:
            return
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setQuitOnLastWindowClosed(False)
        self.signing_out = True
        if not self.window.close() and QApplication.activeModalWidget() is None:
            # refused outright (typed text that could not be saved): the person stays
            self._stay_signed_in()

    def _stay_signed_in(self) -> None:
        self.signing_out = False
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setQuitOnLastWindowClosed(True)

    def _close_supervision(self) -> None:
        if self.supervision is not None:
            self.supervision.close()
            self.supervision = None

    def _window_gone(self) -> None:
        self.window = None
        self._close_supervision()  # the admin's second window goes with the first
        if self.signing_out:
            # after the deletion has finished, not inside it
            QTimer.singleShot(0, self._sign_in_after_sign_out)

    def _sign_in_after_sign_out(self) -> None:
        self.signing_out = False
        self.end_login()
        signed_in = self.sign_in()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setQuitOnLastWindowClosed(True)
        if not signed_in:
            self.quit_app()

    def end_login(self) -> None:
        """Forget everything of the login that ended: the admin's second window, the sync
        timer, the local store (once a running sync cycle is done with it), the session."""
        self._close_supervision()
        if self.relogin is not None:
            self.relogin.close()
            self.relogin = None
        sync, store = self.sync, self.store
        self.sync, self.store = None, None
        if sync is not None:
            sync.stop_automatic()
        if store is not None:
            if sync is not None and sync.running:
                self._ending_sync = sync  # kept alive until its cycle reports
                sync.finished.connect(lambda _outcome: store.close())
            else:
                store.close()
        if self.login is not None:
            self.login.api.close()
            self.login = None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.version:
        print(f"cati-app {__version__}")
        return 0
    if QApplication.instance() is None:
        set_high_dpi_policy()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("serve-cati")
    app.setOrganizationName("ServE")
    # Python's cycle collector runs wherever an allocation trips it, a worker thread too, and a
    # Qt object it frees there crashes the app: collect on the UI thread only, on a timer
    collector = GarbageCollector(interval=1.0)  # noqa: F841 - lives as long as the app
    if args.self_test:
        from cati_app.desktop.self_test import self_test

        return self_test()
    settings = Settings.for_user()
    dzongkha_family = register_dzongkha_font()
    # before any window: Qt translates a string when it is set
    install_language(app, settings.get(UI_LANGUAGE), dzongkha_family)
    apply_theme(app, settings.get(THEME))
    follow_system(app, lambda: settings.get(THEME))
    if args.server:
        settings.set(SERVER_URL, args.server.strip().rstrip("/"))
    session = AppSession(settings, BackgroundRunner(), dzongkha_family)
    if not session.sign_in():
        return 0
    try:
        return app.exec()
    finally:
        session.close()


if __name__ == "__main__":
    raise SystemExit(main())
