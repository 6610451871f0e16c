"""`cati-server serve` as deployed: behind the proxy each client keeps its own address (and
its own login throttle); SQLite refuses several workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.constants import ROOT
from tests.support.server_process import LiveServer, ServeProcess, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def _login_fails(url: str, client_address: str, username: str) -> int:
    return requests.post(f"{url}/v1/auth/token", timeout=30,
                         headers={"X-Forwarded-For": client_address},
                         json={"username": username, "password": "wrong password",
                               "device_id": "dev-x"}).status_code


def test_login_throttling_counts_the_forwarded_client_not_the_proxy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'proxy.sqlite3'}"
    LiveServer(database_url=url, workdir=tmp_path).seed(cases=0)
    monkeypatch.setenv("CATI_LOGIN_FAILURES_PER_ADDRESS", "2")
    monkeypatch.setenv("CATI_FORWARDED_ALLOW_IPS", "127.0.0.1")  # the test is the proxy
    server = ServeProcess(url, tmp_path / "server.log", free_port())
    server.start()
    try:
        server.wait_healthy()
        assert [_login_fails(server.url, "10.0.0.1", f"nobody{i}") for i in range(3)] == [
            401, 401, 429]
        # Another client behind the same proxy is not locked out by the first one's failures.
        assert _login_fails(server.url, "10.0.0.2", "nobody9") == 401
    finally:
        server.stop()


def test_sqlite_refuses_several_workers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'one.sqlite3'}"
    LiveServer(database_url=url, workdir=tmp_path).seed(cases=0)
    result = subprocess.run(
        [sys.executable, "-m", "cati_app.server.cli", "serve", "--workers", "2"],
        cwd=ROOT, env=os.environ | {"CATI_DATABASE_URL": url}, capture_output=True, text=True,
        timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr == ("cati-server: SQLite serves one worker process: use --workers 1, "
                             "or PostgreSQL\n")
