"""The live_server fixture itself: it serves the seeded database, and can go down and come
back on the same address with the same data."""

from __future__ import annotations

import pytest

from cati_app.client.api import ApiClient, AuthExpired, ServerUnavailable
from tests.support.constants import PASSWORD
from tests.support.server_process import ENUMERATOR, LiveServer

pytestmark = pytest.mark.e2e


def test_the_seeded_server_answers_a_login_and_hello(live_server: LiveServer) -> None:
    api = ApiClient(live_server.base_url, timeout=10.0)
    token = api.login(ENUMERATOR, PASSWORD, "dev-e2e")
    hello = api.hello()
    assert token.username == ENUMERATOR and token.role.value == "enumerator"
    assert hello.max_items_per_batch > 0 and hello.max_batch_bytes > 0
    assert live_server.scalar("SELECT count(*) FROM cases") == 10


def test_the_server_stops_and_starts_again_with_its_data(live_server: LiveServer) -> None:
    api = ApiClient(live_server.base_url, timeout=5.0)
    api.login(ENUMERATOR, PASSWORD, "dev-e2e")
    live_server.stop()
    with pytest.raises(ServerUnavailable):
        api.hello()
    live_server.start()
    assert api.hello().api_version == "1"  # the token issued before the restart still holds


def test_a_wrong_password_is_refused_with_a_clear_message(live_server: LiveServer) -> None:
    api = ApiClient(live_server.base_url, timeout=10.0)
    with pytest.raises(AuthExpired, match="wrong username or password"):
        api.login(ENUMERATOR, "not the password", "dev-e2e")
