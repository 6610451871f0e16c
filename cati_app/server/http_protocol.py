"""The HTTP protocol ``cati-server serve`` runs: uvicorn's own (h11), with Nagle's algorithm
off on every accepted connection.

asyncio turns ``TCP_NODELAY`` on for an accepted socket only when the socket reports
``proto == IPPROTO_TCP``. uvicorn's ``--workers N`` binds the listening socket itself with
``proto`` left at 0, and accepted sockets inherit it (uvicorn issue #3149, open in 0.54): Nagle
then holds each response's body until the client's delayed ACK, ~40 ms per request on a
kept-alive connection. Setting the option where every connection starts covers every way the
server is started (one process, several workers, a socket handed over by a supervisor).
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

#: the value for uvicorn's ``http`` option (``--http`` on bare uvicorn's command line)
IMPORT_PATH = "cati_app.server.http_protocol:NoDelayH11Protocol"

_TCP_FAMILIES = (socket.AF_INET, socket.AF_INET6)


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol; each connection sends its small writes at once."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        disable_nagle(transport)
        super().connection_made(transport)


def disable_nagle(transport: asyncio.BaseTransport) -> None:
    """Turn ``TCP_NODELAY`` on for a TCP transport's socket (a Unix socket has no Nagle)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in _TCP_FAMILIES:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
