"""``./tasks demo`` (``python -m cati_app.demo``): a working system on demo data in one command.

Sets up a SQLite database in a demo data folder, seeds it (``cati-server init`` and ``demo``),
starts ``cati-server serve`` on a free loopback port, waits until it answers, prints the URL and
the logins, then opens the desktop client on it. Without a desktop client (or with
``--no-client``) the server stays in the foreground until Ctrl-C. The server is always shut
down on the way out.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from platformdirs import user_data_dir

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
PORTS_TO_TRY = 20


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # A polite kill (SIGTERM) unwinds like Ctrl-C, so the server below is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    data_dir = Path(args.data_dir or user_data_dir("serve-cati-demo", appauthor=False))
    data_dir.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"CATI_DATABASE_URL": f"sqlite:///{data_dir / 'demo.sqlite3'}"}
    print(f"demo data folder: {data_dir}", flush=True)
    # demo.sqlite3 in the demo folder is the demo's own database: whatever people added to it
    # while trying the demo (a user, a service) is demo play, not real data, so the demo is
    # seeded into it again without the refusal meant for real databases.
    if _server_cli(["demo", "--force-into-real-database"], env).returncode != 0:
        return 1
    port = _free_port(args.port)
    server = subprocess.Popen(_server_command(["serve", "--host", HOST, "--port", str(port)]),
                              env=env)
    url = f"http://{HOST}:{port}"
    try:
        if not _wait_until_answering(url, server):
            print("the demo server did not start; see its messages above", file=sys.stderr)
            return 1
        print(f"\nServE CATI demo server: {url}  (log in with one of the demo logins above)",
              flush=True)
        return _run_client_or_wait(url, server, use_client=not args.no_client)
    except KeyboardInterrupt:
        return 0
    finally:
        _stop(server)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cati_app.demo",
                                     description="Run ServE CATI on demo data.")
    parser.add_argument("--data-dir", help="where the demo database lives "
                        "(default: the user data folder 'serve-cati-demo')")
    parser.add_argument("--port", type=int, default=8000,
                        help="first port to try (the next free one is used)")
    parser.add_argument("--no-client", action="store_true",
                        help="only run the server, until Ctrl-C")
    return parser


def _server_command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "cati_app.server.cli", *args]


def _server_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(_server_command(args), env=env, check=False)


def _free_port(first: int) -> int:
    for port in range(first, first + PORTS_TO_TRY):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port between {first} and {first + PORTS_TO_TRY - 1}: "
                     "pass --port with another number")


def _wait_until_answering(url: str, server: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/v1/sync/hello", timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer (even "log in first") means it is serving
        except OSError:
            time.sleep(0.2)
    return False


def _run_client_or_wait(url: str, server: subprocess.Popen[bytes], *, use_client: bool) -> int:
    if use_client and _desktop_client_available():
        # -c keeps sys.argv[1:] == ["--server", url] for the client's own argument parser
        client = subprocess.run([sys.executable, "-c",
                                 "from cati_app.desktop.app import main; main()",
                                 "--server", url], check=False)
        return client.returncode
    print("press Ctrl-C to stop the server", flush=True)
    return server.wait()


def _desktop_client_available() -> bool:
    try:
        module = importlib.import_module("cati_app.desktop.app")
    except ImportError:
        return False
    return callable(getattr(module, "main", None))


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Ask uvicorn to finish its requests and exit; insist only if it does not."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
