"""The SMS outbound queue against an SMS centre simulator speaking SMPP on 127.0.0.1: sending,
receipts (also repeated), refusals, throttling with back-off, STOP, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import smpplib.consts
from sqlalchemy import func, select

from cati_app.core.clock import FixedClock
from cati_app.core.sms import RateLimit
from cati_app.server.context import AppContext
from cati_app.server.models import AuditEntry, DoNotCall, SmsInbound, SmsOutbound, SmsReceipt
from cati_app.server.services.sms import outbox
from cati_app.server.services.sms.gateways import SmppAccount, SmppGateway
from cati_app.server.services.sms.settings import SmsSettings
from cati_app.server.services.sms.worker import SmsWorker
from tests.support.smsc import SmsCentre

PHONE, OTHER = "+97517123456", "+97517654321"


@pytest.fixture
def smsc() -> Iterator[SmsCentre]:
    with SmsCentre() as centre:
        yield centre


@pytest.fixture
def worker(ctx: AppContext, smsc: SmsCentre) -> Iterator[SmsWorker]:
    settings = SmsSettings(gateway="smpp", smpp_host="127.0.0.1", smpp_port=smsc.port,
                           smpp_system_id="rcsc", smpp_password="secret", per_second=50,
                           max_attempts=3)
    gateway = SmppGateway(SmppAccount("127.0.0.1", smsc.port, "rcsc", "secret", "RCSC",
                                      timeout=2))
    sms_worker = SmsWorker(ctx, gateway, settings)
    yield sms_worker
    gateway.close()


def queue(ctx: AppContext, phone: str = PHONE, body: str = "Please rate the service") -> int:
    with ctx.transaction() as session:
        message = outbox.enqueue(session, phone=phone, body=body, purpose="invitation",
                                 at=ctx.clock.now())
        assert message is not None
        return message.id


def message(ctx: AppContext, message_id: int) -> SmsOutbound:
    with ctx.transaction() as session:
        row = session.get_one(SmsOutbound, message_id)
        session.expunge(row)
        return row


def settle(worker: SmsWorker, until: Callable[[], object], timeout: float = 20.0) -> None:
    """Run the worker's rounds until ``until()`` holds (receipts arrive asynchronously)."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "the SMS worker did not get there in time"
        worker.run_once()
        time.sleep(0.02)


def test_a_queued_message_is_sent_once_and_its_receipt_marks_it_delivered(
        ctx: AppContext, smsc: SmsCentre, worker: SmsWorker) -> None:
    message_id = queue(ctx)
    assert worker.run_once() == 1
    sent = message(ctx, message_id)
    # the receipt may already have come back in the same round
    assert (sent.state, sent.attempts) in {("sent", 1), ("delivered", 1)}
    assert [(s.destination, s.text) for s in smsc.submitted] == [
        ("97517123456", "Please rate the service")]
    settle(worker, lambda: message(ctx, message_id).state == "delivered")
    assert sent.gateway_message_id == smsc.submitted[0].message_id
    worker.run_once()
    assert len(smsc.submitted) == 1  # never sent again


def test_a_dzongkha_message_goes_as_ucs2_and_arrives_as_written(
        ctx: AppContext, smsc: SmsCentre, worker: SmsWorker) -> None:
    text = "ཁྱེད་ཀྱིས་ ཞབས་ཏོག་ལུ་ སྐུགས་ བཀོད་གནང་།"
    queue(ctx, body=text)
    worker.run_once()
    assert (smsc.submitted[0].text, smsc.submitted[0].data_coding) == (text, 8)


def test_a_receipt_repeated_by_the_operator_is_stored_once_and_counted(
        ctx: AppContext, smsc: SmsCentre, worker: SmsWorker) -> None:
    smsc.behaviour.receipt_copies = 3
    message_id = queue(ctx)
    worker.run_once()

    def receipts() -> list[SmsReceipt]:
        with ctx.transaction() as session:
            return list(session.scalars(select(SmsReceipt)))

    settle(worker, lambda: receipts() and receipts()[0].duplicates == 2)
    assert len(receipts()) == 1
    assert message(ctx, message_id).state == "delivered"


def test_an_undeliverable_receipt_settles_the_message_as_undeliverable(
        ctx: AppContext, smsc: SmsCentre, worker: SmsWorker) -> None:
    smsc.behaviour.receipt_state["97517123456"] = "UNDELIV"
    message_id = queue(ctx)
    settle(worker, lambda: message(ctx, message_id).state == "undeliverable")


def test_a_number_the_centre_refuses_for_good_is_not_tried_again(
        ctx: AppContext, smsc: SmsCentre, worker: SmsWorker) -> None:
    smsc.behaviour.refuse["97517123456"] = smpplib.consts.SMPP_ESME_RINVDSTADR
    message_id = queue(ctx)
    assert worker.run_once() == 0
    refused = message(ctx, message_id)
    assert (refused.state, refused.attempts) == ("undeliverable", 1)
    assert "Invalid Destination Address" in refused.last_error


def test_a_throttled_message_waits_its_back_off_then_goes(
        ctx: AppContext, clock: FixedClock, smsc: SmsCentre, worker: SmsWorker) -> None:
    smsc.behaviour.throttle_next = 1
    message_id = queue(ctx)
    assert worker.run_once() == 0
    waiting = message(ctx, message_id)
    assert (waiting.state, waiting.attempts) == ("queued", 1)
    assert waiting.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert worker.run_once() == 0  # not due yet
    clock.advance(timedelta(seconds=31))
    assert worker.run_once() == 1
    assert message(ctx, message_id).attempts == 2


def test_a_message_throttled_every_time_is_given_up_after_its_attempts(
        ctx: AppContext, clock: FixedClock, smsc: SmsCentre, worker: SmsWorker) -> None:
    smsc.behaviour.throttle_next = 10
    message_id = queue(ctx)
    for _ in range(3):
        worker.run_once()
        clock.advance(timedelta(hours=2))
    given_up = message(ctx, message_id)
    assert (given_up.state, given_up.attempts) == ("failed", 3)
    assert smsc.submitted == []


def test_a_lost_link_is_a_passing_failure_and_the_next_round_binds_again(
        ctx: AppContext, clock: FixedClock, smsc: SmsCentre, worker: SmsWorker) -> None:
    first = queue(ctx)
    worker.run_once()
    for connection in list(smsc._connections):  # the operator drops the session
        connection.close()
    second = queue(ctx, OTHER)
    worker.run_once()
    if message(ctx, second).state == "queued":  # the drop was noticed on this send
        clock.advance(timedelta(minutes=5))
        worker.run_once()
    assert message(ctx, second).state in {"sent", "delivered"}
    assert message(ctx, first).attempts == 1
    assert smsc.binds == 2


def test_stop_puts_the_number_on_the_register_and_is_confirmed_once(
        ctx: AppContext, smsc: SmsCentre, worker: SmsWorker) -> None:
    queue(ctx)
    worker.run_once()
    smsc.send_reply(PHONE, "STOP")

    def register() -> list[str]:
        with ctx.transaction() as session:
            return list(session.scalars(select(DoNotCall.phone)))

    settle(worker, lambda: register() == [PHONE])
    smsc.send_reply(PHONE, "ཚུགས")  # the same wish again, in Dzongkha

    def replies() -> int:
        with ctx.transaction() as session:
            return session.scalar(select(func.count()).select_from(SmsInbound)) or 0

    settle(worker, lambda: replies() == 2)
    worker.run_once()
    messages = [s for s in smsc.submitted if s.destination == "97517123456" and s.part == 1]
    assert len(messages) == 2, "the invitation, then one confirmation: never a second"
    confirmation = [s for s in smsc.submitted if s.message_id > messages[0].message_id]
    assert "You will not receive more messages" in "".join(s.text for s in confirmation)
    assert register() == [PHONE]
    with ctx.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "do_not_call.add")) == 1


def test_nothing_is_queued_or_sent_to_a_number_on_the_register(
        ctx: AppContext, smsc: SmsCentre, worker: SmsWorker) -> None:
    later = queue(ctx)
    with ctx.transaction() as session:
        session.add(DoNotCall(phone=PHONE, source="request", reason="", added_at=ctx.clock.now(),
                              removal_reason=""))
        assert outbox.enqueue(session, phone=PHONE, body="x", purpose="reminder",
                              at=ctx.clock.now()) is None
    worker.run_once()
    assert smsc.submitted == []
    assert message(ctx, later).state == "failed"


def test_the_rate_limit_spaces_sends_without_the_test_waiting(ctx: AppContext) -> None:
    class Gateway:
        sent: list[str] = []

        def submit(self, phone: str, text: str) -> str:
            self.sent.append(phone)
            return str(len(self.sent))

    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    for i in range(5):
        queue(ctx, f"+9751710000{i}")
    policy = outbox.SendPolicy(max_attempts=3, rate=RateLimit(2), monotonic=lambda: now[0],
                               sleep=sleep)
    assert outbox.send_due(ctx.transaction, Gateway(), policy, ctx.clock.now) == 5  # type: ignore[arg-type]
    assert slept == [pytest.approx(1.0), pytest.approx(1.0)]  # 2 at t=0, 2 at t=1, 1 at t=2


def test_a_stop_from_a_sender_that_is_no_phone_number_is_kept_and_the_worker_goes_on(
        ctx: AppContext, smsc: SmsCentre, worker: SmsWorker) -> None:
    smsc.send_reply("+1234", "STOP")  # an operator's short code
    smsc.send_reply(PHONE, "STOP")

    def replies() -> list[str]:
        with ctx.transaction() as session:
            return sorted(session.scalars(select(SmsInbound.phone)))

    settle(worker, lambda: replies() == ["+1234", PHONE])
    with ctx.transaction() as session:
        assert session.scalars(select(DoNotCall.phone)).all() == [PHONE]
