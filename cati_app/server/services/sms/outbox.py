"""The outbound queue and what comes back: queue a message, send the due ones, record receipts
and replies.

Each send is its own short transaction, so a crash loses at
most the bookkeeping of one message in flight, and a message taken by the gateway is marked
sent before the next one goes. A receipt or a reply is applied in the caller's transaction and
is idempotent: the same receipt twice changes nothing but a counter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.core.sms import RateLimit, Reply, back_off, parse_receipt, read_reply
from cati_app.server.errors import Unprocessable
from cati_app.server.models import SmsInbound, SmsOutbound, SmsReceipt, SmsState
from cati_app.server.services.cases import do_not_call_register
from cati_app.server.services.cases.do_not_call import blocked_numbers
from cati_app.server.services.sms.gateways import GatewayError, Incoming, SmsGateway

log = logging.getLogger(__name__)

_FINAL_BY_DELIVERY = {"delivered": SmsState.DELIVERED, "undeliverable": SmsState.UNDELIVERABLE,
                      "expired": SmsState.EXPIRED}


@dataclass(frozen=True)
class SendPolicy:
    max_attempts: int
    rate: RateLimit
    #: monotonic clock and sleep, injected so tests run without waiting
    monotonic: Callable[[], float]
    sleep: Callable[[float], None]


def enqueue(session: Session, *, phone: str, body: str, purpose: str, at: datetime,
            case_id: int | None = None) -> SmsOutbound | None:
    """Queue a message; None (nothing queued) when the number is on the do-not-call register,
    which no purpose overrides (a STOP's confirmation is queued before the number is added)."""
    if blocked_numbers(session, [phone]):
        return None
    message = SmsOutbound(phone=phone, body=body, purpose=purpose, case_id=case_id,
                          state=SmsState.QUEUED, attempts=0, next_attempt_at=at,
                          last_error="", created_at=at)
    session.add(message)
    session.flush()
    return message


def send_due(unit_of_work: Callable[[], AbstractContextManager[Session]],
             gateway: SmsGateway, policy: SendPolicy, now: Callable[[], datetime],
             limit: int = 100) -> int:
    """Send up to ``limit`` due messages at the policy's rate, each in its own transaction
    from ``unit_of_work``; how many the gateway took. A row is locked with SKIP LOCKED while
    it is sent, so two workers never send the same message."""
    with unit_of_work() as session:
        due = _due_ids(session, now(), limit)
    taken = 0
    for message_id in due:
        with unit_of_work() as session:
            message = session.scalars(select(SmsOutbound).where(
                SmsOutbound.id == message_id, SmsOutbound.state == SmsState.QUEUED)
                .with_for_update(skip_locked=True)).first()
            if message is None:
                continue  # another worker has it
            wait = policy.rate.wait_before_next(policy.monotonic())
            if wait > 0:
                policy.sleep(wait)
            policy.rate.sent(policy.monotonic())
            taken += _send_one(session, gateway, message, policy, now())
    return taken


def _due_ids(session: Session, now: datetime, limit: int) -> list[int]:
    return list(session.scalars(
        select(SmsOutbound.id).where(SmsOutbound.state == SmsState.QUEUED,
                                     SmsOutbound.next_attempt_at <= now)
        .order_by(SmsOutbound.next_attempt_at, SmsOutbound.id).limit(limit)))


def _send_one(session: Session, gateway: SmsGateway, message: SmsOutbound,
              policy: SendPolicy, now: datetime) -> int:
    if blocked_numbers(session, [message.phone]) and message.purpose != "confirmation":
        _finish(message, SmsState.FAILED, now, "number put on the do-not-call register")
        return 0
    message.attempts += 1
    try:
        message.gateway_message_id = gateway.submit(message.phone, message.body)
    except GatewayError as error:
        message.last_error = str(error)[:500]
        if error.permanent:
            _finish(message, SmsState.UNDELIVERABLE, now, message.last_error)
        elif message.attempts >= policy.max_attempts:
            _finish(message, SmsState.FAILED, now, message.last_error)
        else:
            message.next_attempt_at = now + back_off(message.attempts)
        return 0
    message.state, message.sent_at = SmsState.SENT, now
    return 1


def _finish(message: SmsOutbound, state: str, at: datetime, error: str = "") -> None:
    message.state, message.final_at = state, at
    if error:
        message.last_error = error[:500]


def apply_incoming(session: Session, incoming: Incoming, at: datetime,
                   stop_words: tuple[str, ...]) -> None:
    if incoming.kind == "receipt":
        record_receipt(session, incoming.text, at)
    else:
        record_reply(session, incoming.phone, incoming.text, at, stop_words)


def record_receipt(session: Session, text: str, at: datetime) -> SmsOutbound | None:
    """Apply a delivery receipt; the message it settled, or None (unknown, duplicate, or a
    state that settles nothing yet)."""
    receipt = parse_receipt(text)
    if receipt is None:
        return None
    seen = session.scalars(select(SmsReceipt).where(
        SmsReceipt.gateway_message_id == receipt.message_id,
        SmsReceipt.stat == receipt.stat).with_for_update()).first()
    if seen is not None:
        seen.duplicates += 1
        return None
    message = session.scalars(select(SmsOutbound).where(
        SmsOutbound.gateway_message_id == receipt.message_id).with_for_update()).first()
    session.add(SmsReceipt(gateway_message_id=receipt.message_id, stat=receipt.stat,
                           outbound_id=message.id if message else None, received_at=at,
                           duplicates=0))
    final = _FINAL_BY_DELIVERY.get(receipt.delivery)
    if message is None or final is None or message.state in SmsState.FINAL:
        return None  # a late receipt never overturns a final state
    _finish(message, final, at)
    return message


def record_reply(session: Session, phone: str, text: str, at: datetime,
                 stop_words: tuple[str, ...]) -> Reply:
    """Keep a respondent's message; a STOP puts the number on the do-not-call register and
    confirms once (a second STOP is kept but not answered again)."""
    reply = read_reply(text, stop_words)
    session.add(SmsInbound(phone=phone, body=text[:1600], kind=reply.kind, received_at=at))
    if reply.kind == "stop" and not blocked_numbers(session, [phone]):
        enqueue(session, phone=phone, purpose="confirmation", at=at,
                body="You will not receive more messages or calls from the RCSC service "
                     "survey. / ང་བཅས་ཀྱིས་ ད་ལས་ཕར་ འཕྲིན་ཐུང་ ཡང་ན་ བརྒྱུད་འཕྲིན་ མི་གཏང་།")
        _register_stop(session, phone, at)
    return reply


def _register_stop(session: Session, phone: str, at: datetime) -> None:
    """The register withdraws the number's open cases (an SMS-first case waiting for its
    answer included) and audits the entry."""
    try:
        do_not_call_register.add(session, phone, source="sms_stop", reason="SMS STOP", at=at,
                                 by=None, device_id="sms")
    except Unprocessable as error:  # a sender that is no phone number (a short code): kept
        log.warning("SMS STOP from %s not put on the register: %s", phone, error)
