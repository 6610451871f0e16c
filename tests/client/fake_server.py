"""A tiny real HTTP server on 127.0.0.1 that answers with canned protocol JSON and with every
kind of failure (a reset connection, a late answer), and records what it was sent. The
``fake`` fixture of tests/client/conftest.py runs one per test."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Canned:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    #: "reset" drops the connection with a TCP RST; "sleep" answers after `delay` seconds
    action: str = ""
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


Route = Canned | list[Canned] | Callable[[Seen], Canned]


class FakeServer:
    """Routes by path (without query) to a Canned answer, a list of answers given in turn (the
    last one repeats) or a function of the request; records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:  # keep the test output quiet
                pass

            def do_GET(self) -> None:
                server.handle(self)

            def do_POST(self) -> None:
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def answer(self, seen: Seen) -> Canned:
        route = self.routes.get(seen.path.split("?")[0])
        if route is None:
            return Canned(404, {"error": "not_found", "detail": "no route"})
        if isinstance(route, list):
            return route.pop(0) if len(route) > 1 else route[0]
        return route if isinstance(route, Canned) else route(seen)

    def paths(self) -> list[str]:
        return [s.path.split("?")[0] for s in self.seen]

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        seen = Seen(request.command, request.path, dict(request.headers),
                    json.loads(raw) if raw else None)
        self.seen.append(seen)
        canned = self.answer(seen)
        if canned.action == "reset":
            linger = struct.pack("ii", 1, 0)  # close with RST instead of FIN
            request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            request.close_connection = True
            request.connection.close()
            return
        if canned.action == "sleep":
            time.sleep(canned.delay)
        data = canned.body if isinstance(canned.body, bytes) else json.dumps(canned.body).encode()
        request.send_response(canned.status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in canned.headers.items():
            request.send_header(name, value)
        request.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (the timeout test)
            request.wfile.write(data)


@contextlib.contextmanager
def running_fake() -> Iterator[FakeServer]:
    server = FakeServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
