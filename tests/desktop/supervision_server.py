"""The server behind the supervisor's and analyst's screens: the real app on a fresh migrated
SQLite file, served by uvicorn on a loopback port (in a thread, so tests seed through its
context), with a supervisor, an analyst, two enumerators and the CID service. The ``server``
fixture of tests/desktop/conftest.py hands it out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from cati_app.client.api import ApiClient
from cati_app.client.supervisor_api import SupervisorApi
from cati_app.core.clock import FixedClock
from cati_app.core.protocol import Role
from cati_app.desktop.app import AppSession, LoginResult
from cati_app.desktop.worker import BackgroundRunner
from cati_app.server.app import create_app
from cati_app.server.context import AppContext
from cati_app.server.db import make_engine, transaction
from cati_app.server.migrate import upgrade
from cati_app.server.services.accounts import users
from cati_app.server.settings import Settings as ServerSettings
from tests.support.constants import PASSWORD, TUESDAY_10AM
from tests.support.factories import seed_cid_service
from tests.support.pg import migrated_database_url
from tests.support.server_thread import InThreadServer

#: a round trip through the background runner and the loopback server
WAIT_MS = 10_000


@dataclass
class Server:
    ctx: AppContext
    url: str
    ids: dict[str, int]
    service_id: int

    def api(self, username: str = "sup") -> SupervisorApi:
        client = ApiClient(self.url, timeout=10)
        client.login(username, PASSWORD, f"dev-{username}")
        return SupervisorApi(client)


#: (username, role, full name) of the accounts the server starts with
SUPERVISION_PEOPLE = (("sup", Role.supervisor, "Sonam Wangmo"),
                      ("ana", Role.analyst, "Tashi Phuntsho"),
                      ("enum1", Role.enumerator, "Karma Dorji"),
                      ("enum2", Role.enumerator, "Pema Choden"))
ADMIN_PEOPLE = (("root", Role.admin, "Root"), ("sup", Role.supervisor, "Sup"),
                ("enum1", Role.enumerator, "Enum1"))


@contextmanager
def supervision_server(folder: Path, people: Sequence[tuple[str, Role, str]] = SUPERVISION_PEOPLE,
                       **settings: Any) -> Iterator[Server]:
    """``settings`` are the server's own (``require_device_approval=True``, say)."""
    with migrated_database_url("sqlite", folder) as url:
        yield from _serve(url, people, settings)


def _serve(url: str, people: Sequence[tuple[str, Role, str]],
           overrides: dict[str, Any]) -> Iterator[Server]:
    settings = ServerSettings(database_url=url, argon2_time_cost=1, argon2_memory_kib=64,
                              pool_size=5, **overrides)
    engine = make_engine(settings.database_url, settings.pool_size)
    upgrade(engine)  # a no-op on the migrated copy
    ctx = AppContext.build(settings, FixedClock(TUESDAY_10AM), engine=engine)
    ids = {}
    with transaction(ctx.sessions) as session:
        for username, role, name in people:
            ids[username] = users.create_user(session, ctx.hasher, username=username,
                                              password=PASSWORD, role=role, full_name=name,
                                              at=ctx.clock.now()).id
    service_id = seed_cid_service(ctx)
    try:
        with InThreadServer(create_app(settings, ctx=ctx)) as live:
            yield Server(ctx, live.url, ids, service_id)
    finally:
        engine.dispose()


def sign_in(qtbot, server: Server, settings, username: str) -> AppSession:  # noqa: ANN001
    """Log in as ``username`` and open that role's workspace, as the login dialog does."""
    api = ApiClient(server.url, timeout=10)
    token = api.login(username, PASSWORD, f"dev-{username}")
    session = AppSession(settings, BackgroundRunner(), None)
    session.open_workspace(LoginResult(server.url, api, token, f"dev-{username}"))
    # qtbot closes the window after the test, so it must outlive its close: the app's own
    # delete-on-close (for signing out) is what tests/desktop/test_sign_out.py covers
    session.window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    qtbot.addWidget(session.window)
    return session
