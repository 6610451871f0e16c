"""No request waits on the network stack (issue 14, "the 42 ms stall"): with `cati-server serve
--workers N` uvicorn left Nagle's algorithm on for accepted connections, so each request after
the first on a kept-alive connection waited for the client's delayed ACK (≥ 40 ms on Linux: a
404 took 44 ms instead of 1.5 ms). The real command, on a loopback port: one process on SQLite,
two workers on PostgreSQL.

The latency check is behavioural, not a speed target: with the stall *every* request after the
first takes at least the delayed-ACK time, so the median says whether it is back."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import time
from pathlib import Path

import pytest
import requests

from cati_app.server.http_protocol import disable_nagle
from tests.support.pg import migrated_database_url
from tests.support.server_process import LiveServer, ServeProcess, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

#: Linux never sends a delayed ACK sooner than this (TCP_DELACK_MIN)
DELAYED_ACK_MS = 40.0
BACK_TO_BACK = 30

SETUPS = [("sqlite", 1)] + ([("postgres", 2)] if os.environ.get("CATI_TEST_PG_URL") else [])


def _back_to_back_ms(url: str, path: str) -> list[float]:
    """Milliseconds per request, one after another on one kept-alive connection."""
    times = []
    with requests.Session() as session:
        session.get(url + path, timeout=30)  # opens the connection
        for _ in range(BACK_TO_BACK):
            started = time.perf_counter()
            answer = session.get(url + path, timeout=30)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code in (200, 404)
    return times


@pytest.mark.parametrize(("backend", "workers"), SETUPS, ids=[f"{b}-{w}w" for b, w in SETUPS])
def test_back_to_back_requests_do_not_wait_for_delayed_acks(
        backend: str, workers: int, tmp_path: Path) -> None:
    with migrated_database_url(backend, tmp_path, "keepalive.sqlite3") as url:
        LiveServer(database_url=url, workdir=tmp_path).seed(cases=0)
        server = ServeProcess(url, tmp_path / "server.log", free_port(), workers=workers)
        server.start()
        try:
            server.wait_healthy()
            for path in ("/v1/health", "/v1/no-such-route"):
                times = _back_to_back_ms(server.url, path)
                assert statistics.median(times) < DELAYED_ACK_MS, (path, times)
        finally:
            server.stop()


def test_disable_nagle_sets_nodelay_on_a_socket_accepted_from_a_proto_0_listener() -> None:
    """The cause, without timing: a listener bound as uvicorn's workers bind it (proto 0)
    hands asyncio connections without TCP_NODELAY; disable_nagle turns it on."""

    async def accepted_nodelay(hook: bool) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn's
        listener.bind(("127.0.0.1", 0))
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                if hook:
                    disable_nagle(transport)
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        async with server:
            _reader, writer = await asyncio.open_connection(*listener.getsockname())
            result = await asyncio.wait_for(seen, 10)
            writer.close()
        return result

    assert asyncio.run(accepted_nodelay(hook=False)) == 0  # the stall's cause is real here
    assert asyncio.run(accepted_nodelay(hook=True)) != 0
