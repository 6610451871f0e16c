"""No personal data in any log, with several workers too (issue 11, Medium): uvicorn's own
access log writes query strings (a supervisor's name search). Both the documented command
(`cati-server serve --workers N`) and bare `uvicorn --factory ...app_from_env --workers N`
log the project's way. The real processes on a loopback port, both databases (SQLite takes
one worker with `cati-server serve`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.support.constants import FAST_HASHING, PASSWORD, ROOT
from tests.support.server_process import SUPERVISOR, LiveServer, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

#: a respondent's name as a supervisor types it into the case search
SEARCHED_NAME = "Yangdon Tshokey"


def _run_and_search(command: list[str], database_url: str, workdir: Path) -> str:
    """Start the command, search for a name as a supervisor (and without a token), stop it;
    everything it wrote to stdout and stderr."""
    port = free_port()
    log_path = workdir / f"out-{port}.log"
    env = {**os.environ, **FAST_HASHING, "CATI_DATABASE_URL": database_url,
           "PYTHONPATH": str(ROOT)}
    env.pop("CATI_LOG_FORMAT", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen([*command, "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log_path)
        token = requests.post(f"{url}/v1/auth/token", timeout=30, json={
            "username": SUPERVISOR, "password": PASSWORD, "device_id": "office-pc"})
        assert token.status_code == 200, token.text
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        # several requests, on fresh connections, so that every worker serves some
        for _ in range(6):
            found = requests.get(f"{url}/v1/cases", params={"text": SEARCHED_NAME},
                                 headers=auth, timeout=30)
            assert found.status_code == 200, found.text
            refused = requests.get(f"{url}/v1/cases", params={"text": SEARCHED_NAME},
                                   timeout=30)
            assert refused.status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return log_path.read_text(encoding="utf-8", errors="replace")


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited at start:\n{log_path.read_text()}")
        try:
            if requests.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no healthy answer within 60 s:\n{log_path.read_text()}")


def _assert_no_search_and_our_request_lines(output: str) -> None:
    assert output.strip(), "the server wrote nothing at all"
    for needle in (SEARCHED_NAME, "Yangdon", "Tshokey", "text="):
        assert needle not in output, f"{needle!r} reached the log:\n{output}"
    # the workers log through the project's configuration: one JSON line per request,
    # naming the path without its query string
    requests_logged = [json.loads(line) for line in output.splitlines()
                       if line.startswith("{") and '"path"' in line]
    assert any(entry.get("path") == "/v1/cases" for entry in requests_logged), output


@pytest.fixture
def seeded(database_url: str, tmp_path: Path) -> str:
    LiveServer(database_url=database_url, workdir=tmp_path).seed(cases=3)
    return database_url


def test_bare_uvicorn_with_workers_logs_no_query_strings(seeded: str, tmp_path: Path) -> None:
    workers = "1" if seeded.startswith("sqlite") else "2"
    output = _run_and_search(
        [sys.executable, "-m", "uvicorn", "--factory", "cati_app.server.app:app_from_env",
         "--workers", workers], seeded, tmp_path)
    _assert_no_search_and_our_request_lines(output)


def test_the_documented_multi_worker_command_logs_no_query_strings(
        seeded: str, tmp_path: Path) -> None:
    workers = "1" if seeded.startswith("sqlite") else "2"
    output = _run_and_search(
        [sys.executable, "-m", "cati_app.server.cli", "serve", "--workers", workers],
        seeded, tmp_path)
    _assert_no_search_and_our_request_lines(output)
    assert all(line.startswith("{") for line in output.splitlines() if line.strip()), output


def test_the_readme_and_deploy_guide_document_cati_server_serve_for_workers() -> None:
    for doc in (ROOT / "README.md", ROOT / "docs" / "deploy.md"):
        text = doc.read_text(encoding="utf-8")
        assert "cati-server serve --workers" in text, doc
        assert "uvicorn --factory" not in text or "--log-config" in text or (
            "logs as `cati-server serve`" in text), doc
