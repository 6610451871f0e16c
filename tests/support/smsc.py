"""A small SMS centre (SMPP 3.4 server) on 127.0.0.1 for the SMS channel's tests.

It speaks just enough SMPP for an ESME bound as a transceiver: bind, submit_sm (with a message
id, or a refusal the test chose), delivery receipts (optionally sent twice, or with a failure
state), enquire_link, unbind, and mobile-originated messages the test injects with
``send_reply``. PDUs are encoded and decoded with smpplib itself, so the bytes on the wire are
those a real operator's SMSC exchanges with the same library.
"""

from __future__ import annotations

import itertools
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import smpplib.consts
import smpplib.smpp

RECEIPT_BIT = 0x04
UDH_BIT = 0x40


class _Sequence:
    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self.sequence = 0

    def next_sequence(self) -> int:
        self.sequence = next(self._numbers)
        return self.sequence


@dataclass
class Submitted:
    """One submit_sm: a whole message, or one part of a long one (``part`` of ``parts``)."""

    message_id: str
    destination: str
    text: str
    data_coding: int
    part: int = 1
    parts: int = 1


@dataclass
class SmscBehaviour:
    """What the SMSC does, set by the test before or between sends."""

    password: str = "secret"
    #: destination (E.164 without +) -> SMPP command status to refuse submit_sm with
    refuse: dict[str, int] = field(default_factory=dict)
    #: destination -> receipt state (default DELIVRD); None: no receipt at all
    receipt_state: dict[str, str | None] = field(default_factory=dict)
    #: send every receipt this many times (an operator repeating itself)
    receipt_copies: int = 1
    #: refuse this many submits with ESME_RTHROTTLED before taking them
    throttle_next: int = 0


class SmsCentre:
    """Use as a context manager: ``with SmsCentre() as smsc: smsc.port ...``."""

    def __init__(self) -> None:
        self.behaviour = SmscBehaviour()
        self.submitted: list[Submitted] = []
        self.binds = 0
        self._ids = itertools.count(0x1000)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._connections: list[socket.socket] = []
        self._bound: list[socket.socket] = []
        #: replies sent while no ESME was bound, delivered at the next bind
        self._held: list[Any] = []
        self._lock = threading.Lock()
        self._sequence = _Sequence()
        self._stopping = False
        self._thread = threading.Thread(target=self._accept, daemon=True, name="smsc")

    def __enter__(self) -> SmsCentre:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping = True
        self._thread.join(timeout=5)
        self._listener.close()
        for connection in list(self._connections):
            connection.close()

    # --- what tests call ---------------------------------------------------------------------

    def send_reply(self, from_phone: str, text: str) -> None:
        """A respondent's message, delivered to every bound ESME; kept until one binds, as an
        operator's SMS centre holds mobile-originated messages for an account."""
        ascii_only = text.isascii()
        pdu = smpplib.smpp.make_pdu(
            "deliver_sm", client=self._sequence, source_addr_ton=1,
            source_addr=from_phone.lstrip("+"), dest_addr_ton=1, destination_addr="1234",
            esm_class=0, data_coding=0 if ascii_only else 8,
            short_message=text.encode("ascii" if ascii_only else "utf-16-be"))
        self._broadcast(pdu)

    def wait_for_submits(self, count: int, timeout: float = 10.0) -> list[Submitted]:
        deadline = time.monotonic() + timeout
        while len(self.submitted) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the SMSC got {len(self.submitted)} messages, "
                                     f"not {count}, within {timeout} s")
            time.sleep(0.01)
        return self.submitted

    # --- the server --------------------------------------------------------------------------

    def _accept(self) -> None:
        self._listener.settimeout(0.05)  # so that stopping is noticed without a connection
        while not self._stopping:
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(None)
            self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            while True:
                request = _read_pdu(connection)
                if request is None or not self._answer(connection, request):
                    break
        except OSError:
            pass
        finally:
            connection.close()
            with self._lock:
                for connections in (self._connections, self._bound):
                    if connection in connections:
                        connections.remove(connection)

    def _answer(self, connection: socket.socket, request: Any) -> bool:
        command = request.command
        if command == "bind_transceiver":
            ok = _text(request.password) == self.behaviour.password
            self.binds += ok
            self._reply(connection, request, "bind_transceiver_resp",
                        smpplib.consts.SMPP_ESME_ROK if ok else smpplib.consts.SMPP_ESME_RBINDFAIL,
                        system_id="SIMSMSC")
            if ok:
                with self._lock:
                    self._bound.append(connection)
                    held, self._held = self._held, []
                for pdu in held:
                    self._send(connection, pdu)
            return ok
        if command == "submit_sm":
            self._submit(connection, request)
        elif command == "enquire_link":
            self._reply(connection, request, "enquire_link_resp")
        elif command == "unbind":
            self._reply(connection, request, "unbind_resp")
            return False
        return True  # deliver_sm_resp and others need no answer

    def _submit(self, connection: socket.socket, request: Any) -> None:
        destination = _text(request.destination_addr)
        behaviour = self.behaviour
        if behaviour.throttle_next > 0:
            behaviour.throttle_next -= 1
            self._reply(connection, request, "submit_sm_resp",
                        smpplib.consts.SMPP_ESME_RTHROTTLED, message_id="")
            return
        refusal = behaviour.refuse.get(destination)
        if refusal is not None:
            self._reply(connection, request, "submit_sm_resp", refusal, message_id="")
            return
        message_id = f"{next(self._ids):x}"
        coding = request.data_coding or 0
        raw, part, parts = _without_udh(request.short_message or b"", request.esm_class or 0)
        text = raw.decode("utf-16-be") if coding == 8 else raw.decode("latin-1")
        self.submitted.append(Submitted(message_id, destination, text, coding, part, parts))
        self._reply(connection, request, "submit_sm_resp", message_id=message_id)
        state = behaviour.receipt_state.get(destination, "DELIVRD")
        if state is not None:
            for _ in range(behaviour.receipt_copies):
                self._send(connection, _receipt(self._sequence, message_id, destination, state))

    def _reply(self, connection: socket.socket, request: Any, command: str,
               status: int = smpplib.consts.SMPP_ESME_ROK, **fields: Any) -> None:
        pdu = smpplib.smpp.make_pdu(command, client=self._sequence, **fields)
        pdu.sequence, pdu.status = request.sequence, status
        self._send(connection, pdu)

    def _send(self, connection: socket.socket, pdu: Any) -> None:
        with self._lock:
            connection.sendall(pdu.generate())

    def _broadcast(self, pdu: Any) -> None:
        with self._lock:
            bound = list(self._bound)
            if not bound:
                self._held.append(pdu)
        for connection in bound:
            self._send(connection, pdu)


def _receipt(sequence: _Sequence, message_id: str, destination: str, state: str) -> Any:
    stamp = datetime.now(UTC).strftime("%y%m%d%H%M")
    delivered = "001" if state == "DELIVRD" else "000"
    text = (f"id:{message_id} sub:001 dlvrd:{delivered} submit date:{stamp} "
            f"done date:{stamp} stat:{state} err:000 text:")
    return smpplib.smpp.make_pdu(
        "deliver_sm", client=sequence, source_addr_ton=1, source_addr=destination,
        dest_addr_ton=1, destination_addr="1234", esm_class=RECEIPT_BIT, data_coding=0,
        short_message=text.encode("ascii"))


def _without_udh(raw: bytes, esm_class: int) -> tuple[bytes, int, int]:
    """The text of a part of a long message and its place (a concatenation header, IE 0x00 or
    0x08, as smpplib.gsm.make_parts writes it)."""
    if not esm_class & UDH_BIT:
        return raw, 1, 1
    header_length = raw[0]
    header = raw[1:1 + header_length]
    if header[0] == 0x00:
        parts, part = header[3], header[4]
    else:
        parts, part = header[4], header[5]
    return raw[1 + header_length:], part, parts


def _read_pdu(connection: socket.socket) -> Any:
    header = _read_exact(connection, 4)
    if header is None:
        return None
    length = struct.unpack(">L", header)[0]
    body = _read_exact(connection, length - 4)
    if body is None:
        return None
    return smpplib.smpp.parse_pdu(header + body, client=_Sequence(),
                                  allow_unknown_opt_params=True)


def _read_exact(connection: socket.socket, size: int) -> bytes | None:
    parts, received = [], 0
    while received < size:
        part = connection.recv(size - received)
        if not part:
            return None
        parts.append(part)
        received += len(part)
    return b"".join(parts)


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("latin-1") if isinstance(value, bytes) else value
