"""The login dialog (a Designer form), the settings it remembers, and the cati-app entry."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cati_app import __version__
from cati_app.desktop.app import AppSession, LoginResult, main, parse_args
from cati_app.desktop.login import LoginDialog
from cati_app.desktop.settings import (
    AUTO_SYNC_MINUTES,
    LAST_USERNAME,
    SERVER_URL,
    Settings,
)
from cati_app.desktop.worker import BackgroundRunner
from tests.desktop.helpers import WAIT_MS


def make_dialog(qtbot, settings, authenticate) -> LoginDialog:
    dialog = LoginDialog(settings, authenticate, BackgroundRunner())
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_bad_input_is_explained_and_nothing_is_sent(qtbot, settings):
    calls = []
    dialog = make_dialog(qtbot, settings, lambda *a: calls.append(a))
    dialog.server.setText("cati.example.bt")
    dialog.username.setText("enum1")
    dialog.password.setText("secret")
    dialog.sign_in()
    assert "must start with https://" in dialog.message.text()
    dialog.server.setText("https://cati.example.bt")
    dialog.password.clear()
    dialog.sign_in()
    assert dialog.message.text() == "Type your password."
    assert calls == []


def test_successful_sign_in_remembers_server_and_username(qtbot, settings, tmp_path):
    seen = []

    def authenticate(server, username, password):  # runs on a worker thread
        seen.append((server, username, password))
        return "token"

    dialog = make_dialog(qtbot, settings, authenticate)
    dialog.server.setText("https://cati.example.bt/")
    dialog.username.setText("enum1")
    dialog.password.setText("secret")
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        dialog.sign_in()
    assert seen == [("https://cati.example.bt", "enum1", "secret")]
    assert dialog.login_result == "token"
    again = Settings.in_file(str(tmp_path / "settings.ini"))  # read back from the file
    assert again.get(SERVER_URL) == "https://cati.example.bt"
    assert again.get(LAST_USERNAME) == "enum1"
    second = make_dialog(qtbot, again, authenticate)
    assert second.server.text() == "https://cati.example.bt"
    assert second.username.text() == "enum1"


def test_failed_sign_in_shows_the_reason_and_stays_open(qtbot, settings):
    def authenticate(server, username, password):
        raise RuntimeError("wrong username or password")

    dialog = make_dialog(qtbot, settings, authenticate)
    dialog.server.setText("https://cati.example.bt")
    dialog.username.setText("enum1")
    dialog.password.setText("nope")
    dialog.sign_in()
    qtbot.waitUntil(lambda: "wrong username or password" in dialog.message.text(),
                    timeout=WAIT_MS)
    assert dialog.isVisible()
    assert dialog.buttons.isEnabled()


def test_settings_fall_back_to_the_default_for_a_bad_value(settings):
    settings._store.setValue(AUTO_SYNC_MINUTES.key, "often")
    assert settings.get(AUTO_SYNC_MINUTES) == 5
    with pytest.raises(TypeError):
        settings.set(AUTO_SYNC_MINUTES, "10")


def test_an_enumerator_login_opens_the_workspace_with_a_real_sync_engine(
        qtbot, settings, tmp_path, monkeypatch):
    # The whole wiring of app.py (store path, SyncEngine and its ack file, controller), with
    # a server address where nothing listens: the workspace must open and work offline.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    from cati_app.client.api import ApiClient
    from cati_app.desktop.enumerator.window import EnumeratorWindow

    session = AppSession(settings, BackgroundRunner(), None)
    token = SimpleNamespace(role="enumerator", full_name="Tashi Lhamo", username="tlhamo")
    api = ApiClient("http://127.0.0.1:9", timeout=1)
    session.open_workspace(LoginResult("http://127.0.0.1:9", api, token, "dev-1"))
    qtbot.addWidget(session.window)
    assert isinstance(session.window, EnumeratorWindow)
    assert session.store is not None and session.store.pending_count() == 0
    assert list(tmp_path.rglob("*.sqlite3")), "the local database lives in the data dir"


def test_an_agency_account_is_sent_to_the_web_scorecard(monkeypatch, tmp_path):
    from cati_app.client.api import ApiClient
    from cati_app.desktop.app import AgencyAccount, authenticate

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setattr(ApiClient, "login", lambda self, *a, **k: SimpleNamespace(
        role="agency", full_name="", username="dcrc"))
    with pytest.raises(AgencyAccount, match=r"web browser at https://cati\.example\.bt/scorecard/"):
        authenticate("https://cati.example.bt/", "dcrc", "secret words")


def test_version_and_server_arguments(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"cati-app {__version__}"
    assert parse_args(["--server", "https://cati.example.bt"]).server == \
        "https://cati.example.bt"
