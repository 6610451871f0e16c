"""SMS gateways behind one interface: ``submit`` a message, ``collect`` what came back.

``SmppGateway`` speaks SMPP 3.4 to an operator's SMS centre through smpplib, bound as a
transceiver so receipts and replies come back on the same connection. ``HttpGateway`` posts to
an aggregator's HTTP API; its receipts and replies arrive through the server's webhook instead,
so its ``collect`` returns nothing.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import requests
import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm

from cati_app.core.sms import parse_receipt

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """The gateway did not take a message. ``permanent``: sending it again cannot help (a
    number the operator refuses); otherwise retry after a back-off (throttled, link down)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Incoming:
    """Something the gateway received: a delivery ``receipt`` or a respondent's ``reply``."""

    kind: Literal["receipt", "reply"]
    phone: str
    text: str


class SmsGateway(Protocol):
    def submit(self, phone: str, text: str) -> str:
        """Send ``text`` to ``phone`` (E.164); the gateway's message id. Raises GatewayError."""

    def collect(self) -> list[Incoming]:
        """Receipts and replies received since the last call (never blocks long)."""

    def close(self) -> None: ...


#: SMPP command statuses after which the same message will never be taken
_PERMANENT_STATUSES = frozenset({
    smpplib.consts.SMPP_ESME_RINVDSTADR, smpplib.consts.SMPP_ESME_RINVDSTTON,
    smpplib.consts.SMPP_ESME_RINVDSTNPI, smpplib.consts.SMPP_ESME_RINVMSGLEN,
    smpplib.consts.SMPP_ESME_RINVSRCADR,
})
_INTERNATIONAL, _ISDN = 1, 1
_RECEIPT_BIT = 0x04
_UCS2 = 0x08


@dataclass(frozen=True)
class SmppAccount:
    host: str
    port: int
    system_id: str
    password: str
    #: the sender the operator assigned (a short code or an alphanumeric name)
    source_addr: str
    system_type: str = ""
    timeout: float = 10.0


class SmppGateway:
    """One bound transceiver session, opened on first use and re-opened after a drop."""

    def __init__(self, account: SmppAccount) -> None:
        self.account = account
        self._client: smpplib.client.Client | None = None
        self._incoming: list[Incoming] = []
        self._replies: dict[int, Any] = {}

    def submit(self, phone: str, text: str) -> str:
        client = self._bound()
        parts, coding, esm_class = smpplib.gsm.make_parts(text)
        message_ids = []
        for part in parts:
            try:
                pdu = client.send_message(
                    source_addr_ton=self._source_ton(), source_addr_npi=_ISDN,
                    source_addr=self.account.source_addr,
                    dest_addr_ton=_INTERNATIONAL, dest_addr_npi=_ISDN,
                    destination_addr=phone.lstrip("+"), short_message=part,
                    data_coding=coding, esm_class=esm_class, registered_delivery=True)
                message_ids.append(self._await_reply(client, pdu.sequence))
            except (smpplib.exceptions.ConnectionError, OSError) as error:
                self.close()
                raise GatewayError(f"SMS centre connection lost: {error}",
                                   permanent=False) from error
        # receipts are matched on the first part's id: a later part's receipt is kept but
        # not matched (operators report a multi-part message's parts together)
        return message_ids[0]

    def collect(self) -> list[Incoming]:
        """Binds first when not bound: replies (a STOP) come only to a bound transceiver,
        also while nothing is being sent."""
        try:
            self._bound().poll()
        except GatewayError as error:
            log.warning("%s", error)
        except (smpplib.exceptions.ConnectionError, OSError) as error:
            log.warning("SMS centre connection lost while reading: %s", error)
            self.close()
        incoming, self._incoming = self._incoming, []
        return incoming

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        # the link is being closed anyway: a failed unbind changes nothing
        with contextlib.suppress(smpplib.exceptions.PDUError,
                                 smpplib.exceptions.ConnectionError, OSError):
            client.unbind()
        client.disconnect()

    def _bound(self) -> smpplib.client.Client:
        if self._client is not None:
            return self._client
        account = self.account
        client = smpplib.client.Client(account.host, account.port, timeout=account.timeout,
                                       allow_unknown_opt_params=True)
        client.set_message_received_handler(self._received)
        client.set_message_sent_handler(self._sent)
        client.set_error_pdu_handler(self._sent)
        try:
            client.connect()
            client.bind_transceiver(system_id=account.system_id, password=account.password,
                                    system_type=account.system_type)
        except (smpplib.exceptions.PDUError, smpplib.exceptions.ConnectionError,
                OSError) as error:
            client.disconnect()
            raise GatewayError(f"cannot bind to the SMS centre at {account.host}:"
                               f"{account.port}: {error}", permanent=False) from error
        self._client = client
        return client

    def _await_reply(self, client: smpplib.client.Client, sequence: int) -> str:
        deadline = time.monotonic() + self.account.timeout
        while sequence not in self._replies:
            if time.monotonic() > deadline:
                raise smpplib.exceptions.ConnectionError("no reply to submit_sm in time")
            client.read_once()  # at most one socket timeout; then it sends enquire_link
        reply = self._replies.pop(sequence)
        if reply.status != smpplib.consts.SMPP_ESME_ROK:
            description = smpplib.consts.DESCRIPTIONS.get(reply.status, "unknown status")
            raise GatewayError(f"SMS centre refused the message: {description}",
                               permanent=reply.status in _PERMANENT_STATUSES)
        return _text(reply.message_id)

    def _sent(self, pdu: Any, **_kwargs: Any) -> None:
        self._replies[pdu.sequence] = pdu

    def _received(self, pdu: Any, **_kwargs: Any) -> int:
        text = _decode(pdu.short_message, pdu.data_coding)
        is_receipt = bool(pdu.esm_class & _RECEIPT_BIT) and parse_receipt(text) is not None
        self._incoming.append(Incoming(kind="receipt" if is_receipt else "reply",
                                       phone="+" + _text(pdu.source_addr).lstrip("+"),
                                       text=text))
        return int(smpplib.consts.SMPP_ESME_ROK)

    def _source_ton(self) -> int:
        alphanumeric = not self.account.source_addr.lstrip("+").isdigit()
        return smpplib.consts.SMPP_TON_ALNUM if alphanumeric else _INTERNATIONAL


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _decode(payload: bytes | str | None, data_coding: int) -> str:
    if isinstance(payload, str) or payload is None:
        return payload or ""
    if data_coding == _UCS2:
        return payload.decode("utf-16-be", "replace")
    return payload.decode("latin-1")


@dataclass(frozen=True)
class HttpAccount:
    """An aggregator's send API: ``POST url`` with JSON ``{"to", "from", "text"}`` and a bearer
    token; the reply's JSON carries the message id under ``id_field``."""

    url: str
    token: str
    sender: str
    id_field: str = "message_id"
    timeout: float = 10.0


class HttpGateway:
    def __init__(self, account: HttpAccount, session: requests.Session | None = None) -> None:
        self.account = account
        self._http = session or requests.Session()

    def submit(self, phone: str, text: str) -> str:
        account = self.account
        try:
            response = self._http.post(
                account.url, json={"to": phone, "from": account.sender, "text": text},
                headers={"Authorization": f"Bearer {account.token}"}, timeout=account.timeout)
        except requests.RequestException as error:
            raise GatewayError(f"SMS gateway unreachable: {error}", permanent=False) from error
        if response.status_code >= 500 or response.status_code == 429:
            raise GatewayError(f"SMS gateway busy or failing ({response.status_code})",
                               permanent=False)
        if response.status_code >= 400:
            raise GatewayError(f"SMS gateway refused the message ({response.status_code}): "
                               f"{response.text[:200]}", permanent=True)
        try:
            return str(response.json()[account.id_field])
        except (ValueError, KeyError, TypeError) as error:
            raise GatewayError(f"SMS gateway reply has no {account.id_field!r}",
                               permanent=False) from error

    def collect(self) -> list[Incoming]:
        return []

    def close(self) -> None:
        self._http.close()
