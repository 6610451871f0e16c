"""A small fault-injecting HTTP proxy on 127.0.0.1 for the reliability tests (issue 6).

It sits between the real client and the real server and, per request, does what a policy says:
pass it on, add latency, refuse it (close before forwarding), drop the reply *after* the server
processed and committed the request, reset the connection half-way through the reply body, or
trickle the reply at a slow bandwidth. It also records every exchange (path, body size, items
in a push) so a test can check that the client never sent more than the server advertised, and
it can advertise smaller batch limits in ``/v1/sync/hello`` than the server's own.

Each exchange uses one connection both ways (``Connection: close``), so a reply is simply
everything the server sends until it closes: no chunked parsing, no stale keep-alive sockets.
Everything is bounded: socket timeouts on every read, a lifetime after which the proxy stops
by itself, daemon threads; ``stop()`` (or leaving the ``with`` block) ends it at once.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

PASS, REFUSE, DROP_RESPONSE, RESET_MID_BODY = "pass", "refuse", "drop_response", "reset_mid_body"
SOCKET_TIMEOUT = 60.0
MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class Fault:
    """What happens to one exchange."""

    kind: str = PASS
    #: seconds to wait before the request goes on to the server
    delay: float = 0.0
    #: trickle the reply at this rate (None: as fast as loopback goes)
    bytes_per_second: float | None = None


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes


@dataclass(frozen=True)
class Exchange:
    """One request as the proxy saw it, and what it did with it."""

    method: str
    path: str
    body_bytes: int
    #: items in a push request (None for other requests)
    items: int | None
    fault: str
    #: the server's status code (None when the request never reached it)
    status: int | None


Policy = Callable[[Request], Fault]


def no_faults(_request: Request) -> Fault:
    return Fault()


def drop_responses(rate: float, seed: int, paths: tuple[str, ...] = ("/v1/sync/push",)
                   ) -> Policy:
    """Drop the reply to ``rate`` of the requests to ``paths`` after the server answered."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def policy(request: Request) -> Fault:
        if not request.path.startswith(paths):
            return Fault()
        with lock:
            drop = rng.random() < rate
        return Fault(DROP_RESPONSE if drop else PASS)

    return policy


def chaos(seed: int, *, refuse: float = 0.05, drop: float = 0.1, reset: float = 0.05,
          slow: float = 0.05, max_delay: float = 0.02) -> Policy:
    """A seeded mix of every fault, for the longer runs."""
    rng = random.Random(seed)
    lock = threading.Lock()

    def policy(_request: Request) -> Fault:
        with lock:
            draw, delay = rng.random(), rng.uniform(0.0, max_delay)
        if draw < refuse:
            return Fault(REFUSE, delay)
        if draw < refuse + drop:
            return Fault(DROP_RESPONSE, delay)
        if draw < refuse + drop + reset:
            return Fault(RESET_MID_BODY, delay)
        if draw < refuse + drop + reset + slow:
            return Fault(PASS, delay, bytes_per_second=64 * 1024)
        return Fault(PASS, delay)

    return policy


@dataclass
class FaultProxy:
    upstream_port: int
    policy: Policy = no_faults
    #: hello fields to advertise instead of the server's (max_items_per_batch, max_batch_bytes)
    advertise: dict[str, int] = field(default_factory=dict)
    #: the proxy stops by itself after this many seconds, whatever the test does
    lifetime: float = 900.0
    exchanges: list[Exchange] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name="fault-proxy")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def seen(self, path: str) -> list[Exchange]:
        with self._lock:
            return [e for e in self.exchanges if e.path.startswith(path)]

    # --- plumbing ------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        deadline = time.monotonic() + self.lifetime
        while not self._stopping.is_set() and time.monotonic() < deadline:
            try:
                conn, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(SOCKET_TIMEOUT)
        try:
            request_bytes, request = _read_request(client)
            if request is None:
                return
            fault = self.policy(request)
            time.sleep(fault.delay)
            if fault.kind == REFUSE:
                self._record(request, fault, None)
                return
            reply = _exchange_upstream(self.upstream_port, request_bytes)
            if reply is None:  # the server is down: the client sees a closed connection
                self._record(request, Fault(REFUSE), None)
                return
            reply = self._rewrite_hello(request, reply)
            self._record(request, fault, _status_of(reply))
            self._deliver(client, reply, fault)
        except OSError:
            pass  # the client gave up first: nothing to deliver
        finally:
            client.close()

    def _deliver(self, client: socket.socket, reply: bytes, fault: Fault) -> None:
        if fault.kind == DROP_RESPONSE:
            return  # committed on the server, never heard of on the client
        if fault.kind == RESET_MID_BODY:
            head, _, body = reply.partition(b"\r\n\r\n")
            client.sendall(head + b"\r\n\r\n" + body[: len(body) // 2])
            # SO_LINGER with a zero timeout: close() sends RST instead of FIN
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if fault.bytes_per_second:
            _trickle(client, reply, fault.bytes_per_second, self._stopping)
            return
        client.sendall(reply)

    def _rewrite_hello(self, request: Request, reply: bytes) -> bytes:
        if not self.advertise or not request.path.startswith("/v1/sync/hello"):
            return reply
        head, _, body = reply.partition(b"\r\n\r\n")
        if _status_of(reply) != 200:
            return reply
        data = json.loads(body)
        data.update(self.advertise)
        new_body = json.dumps(data).encode()
        lines = [line for line in head.split(b"\r\n")
                 if not line.lower().startswith(b"content-length:")]
        lines.append(b"content-length: " + str(len(new_body)).encode())
        return b"\r\n".join(lines) + b"\r\n\r\n" + new_body

    def _record(self, request: Request, fault: Fault, status: int | None) -> None:
        items = None
        if request.path.startswith("/v1/sync/push"):
            try:
                items = len(json.loads(request.body).get("items", []))
            except (ValueError, AttributeError):
                items = -1
        with self._lock:
            self.exchanges.append(Exchange(request.method, request.path, len(request.body),
                                           items, fault.kind, status))


def _read_request(client: socket.socket) -> tuple[bytes, Request | None]:
    """The whole request, with ``Connection: close`` put in place of the client's own."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = client.recv(65536)
        if not chunk:
            return b"", None
        buffer += chunk
        if len(buffer) > MAX_HEADER_BYTES:
            return b"", None
    head, _, body = buffer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    method, path, _version = lines[0].decode("latin-1").split(" ", 2)
    length = 0
    kept = [lines[0]]
    for line in lines[1:]:
        name = line.split(b":", 1)[0].strip().lower()
        if name == b"content-length":
            length = int(line.split(b":", 1)[1])
        if name not in (b"connection", b"keep-alive"):
            kept.append(line)
    kept.append(b"Connection: close")
    while len(body) < length:
        chunk = client.recv(min(1 << 20, length - len(body)))
        if not chunk:
            return b"", None
        body += chunk
    return b"\r\n".join(kept) + b"\r\n\r\n" + body, Request(method, path, body)


def _exchange_upstream(port: int, request_bytes: bytes) -> bytes | None:
    try:
        upstream = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
    except OSError:
        return None
    with upstream:
        try:
            upstream.sendall(request_bytes)
            chunks = []
            while chunk := upstream.recv(65536):
                chunks.append(chunk)
        except OSError:
            return None  # the server died mid-request: as good as down
    reply = b"".join(chunks)
    return reply or None


def _status_of(reply: bytes) -> int | None:
    try:
        return int(reply.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def _trickle(client: socket.socket, reply: bytes, rate: float, stopping: threading.Event
             ) -> None:
    step = max(1, int(rate / 20))  # 20 sends a second
    for start in range(0, len(reply), step):
        if stopping.is_set():
            return
        client.sendall(reply[start:start + step])
        time.sleep(step / rate)
