"""SMS-first cases (issue 17): imported into the SMS channel, invited, reminded, and sent to the
call queue at the deadline or at once when the invitation cannot be delivered; never claimable
before. Against the SMS centre simulator, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cati_app.core.clock import FixedClock
from cati_app.server.context import AppContext
from cati_app.server.models import (
    Assignment,
    AuditEntry,
    Case,
    DoNotCall,
    SmsContact,
    SmsOutbound,
    User,
)
from cati_app.server.services.cases.sample_import import import_sample
from cati_app.server.services.sms.gateways import SmppAccount, SmppGateway
from cati_app.server.services.sms.settings import SmsSettings
from cati_app.server.services.sms.worker import SmsWorker
from tests.support.factories import claim_body, seed_service
from tests.support.smsc import SmsCentre

SAMPLE = """name,phone,phone2,channel,literate
Karma Wangchuk,+97517100001,,sms,
Pema Lhamo,+97577100002,,,yes
Sonam Dorji,+97517100003,,phone,yes
Dechen Zam,+97517100004,,,
Tashi Tenzin,+9752321234,,sms,
Ugyen Pelden,+97517100006,,fax,
"""


@pytest.fixture
def smsc() -> Iterator[SmsCentre]:
    with SmsCentre() as centre:
        yield centre


@pytest.fixture
def worker(ctx: AppContext, smsc: SmsCentre) -> Iterator[SmsWorker]:
    settings = SmsSettings(gateway="smpp", smpp_host="127.0.0.1", smpp_port=smsc.port,
                           smpp_system_id="rcsc", smpp_password="secret")
    gateway = SmppGateway(SmppAccount("127.0.0.1", smsc.port, "rcsc", "secret", "RCSC",
                                      timeout=2))
    yield SmsWorker(ctx, gateway, settings)
    gateway.close()


@pytest.fixture
def imported(ctx: AppContext, tmp_path: Path) -> dict[str, Case]:
    seed_service(ctx, "CID", "Citizenship ID card")
    path = tmp_path / "sample.csv"
    path.write_text(SAMPLE, encoding="utf-8")
    with ctx.transaction() as session:
        report = import_sample(session, path, service_code="CID", at=ctx.clock.now())
        assert [(p.row, p.column) for p in report.problems] == [(7, "channel")]
    return cases(ctx)


def cases(ctx: AppContext) -> dict[str, Case]:
    with ctx.transaction() as session:
        rows = session.scalars(select(Case)).all()
        session.expunge_all()
        return {c.respondent_name.split()[0]: c for c in rows}


def test_the_import_hands_sms_first_cases_to_the_sms_channel_and_queues_the_rest(
        ctx: AppContext, imported: dict[str, Case]) -> None:
    with ctx.transaction() as session:
        channel = session.scalars(select(User).where(User.username == "sms-channel")).one()
        assert (channel.active, channel.full_name) == (False, "SMS channel")
        held = session.scalars(select(Assignment.case_id).where(
            Assignment.user_id == channel.id, Assignment.ended_at.is_(None))).all()
    plans = {name: (case.channel_plan, case.state, case.holder_id == channel.id)
             for name, case in imported.items()}
    assert plans == {
        "Karma": ("sms_first", "held", True),  # prefers SMS
        "Pema": ("sms_first", "held", True),  # reads, no preference
        "Sonam": ("cati", "queued", False),  # asked to be called
        "Dechen": ("cati", "queued", False),  # nothing known: a call
        "Tashi": ("cati", "queued", False),  # a landline takes no SMS
    }
    assert sorted(held) == sorted([imported["Karma"].id, imported["Pema"].id])


def test_sms_first_cases_are_never_claimed_before_their_deadline(
        ctx: AppContext, imported: dict[str, Case], client: TestClient,
        make_user: Callable[..., int], login: Callable[..., dict[str, str]]) -> None:
    make_user("enum1")
    reply = client.post("/v1/queue/claim", json=claim_body(10), headers=login("enum1"))
    assert reply.status_code == 200, reply.text
    assert sorted(c["respondent_name"].split()[0] for c in reply.json()["cases"]) == [
        "Dechen", "Sonam", "Tashi"]


def test_invitation_then_one_reminder_then_the_call_queue_at_the_deadline(
        ctx: AppContext, clock: FixedClock, imported: dict[str, Case], smsc: SmsCentre,
        worker: SmsWorker, client: TestClient, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    worker.run_once()
    invitations = smsc.wait_for_submits(2)
    assert sorted(s.destination for s in invitations) == ["97517100001", "97577100002"]
    assert "Citizenship ID card" in invitations[0].text
    clock.advance(timedelta(days=3, minutes=1))
    worker.run_once()
    assert len(smsc.wait_for_submits(4)) == 4  # one reminder each
    clock.advance(timedelta(days=1))
    worker.run_once()
    assert len(smsc.submitted) == 4, "one reminder only"
    assert cases(ctx)["Karma"].state == "held"
    clock.advance(timedelta(days=3))
    worker.run_once()
    after = cases(ctx)
    assert (after["Karma"].state, after["Pema"].state) == ("queued", "queued")
    assert after["Karma"].plan_reason == "to the call queue: no answer to the SMS by the deadline"
    assert after["Karma"].holder_id is None
    make_user("enum1")
    reply = client.post("/v1/queue/claim", json=claim_body(10), headers=login("enum1"))
    assert {c["respondent_name"].split()[0] for c in reply.json()["cases"]} >= {"Karma", "Pema"}
    with ctx.transaction() as session:
        moved = session.scalars(select(AuditEntry.entity_id).where(
            AuditEntry.action == "sms.to_cati")).all()
        assert sorted(moved) == sorted(str(after[n].id) for n in ("Karma", "Pema"))


def test_an_undeliverable_invitation_sends_the_case_to_the_call_queue_at_once(
        ctx: AppContext, imported: dict[str, Case], smsc: SmsCentre, worker: SmsWorker) -> None:
    smsc.behaviour.receipt_state["97517100001"] = "UNDELIV"
    worker.run_once()
    smsc.wait_for_submits(2)
    for _ in range(50):
        worker.run_once()
        if cases(ctx)["Karma"].state == "queued":
            break
    after = cases(ctx)
    assert after["Karma"].state == "queued"
    assert after["Karma"].plan_reason.endswith("the SMS invitation could not be delivered")
    assert after["Pema"].state == "held"
    with ctx.transaction() as session:
        contact = session.get_one(SmsContact, after["Karma"].id)
        assert contact.state == "moved"


def test_a_mobile_on_the_register_is_never_texted_and_the_case_leaves_the_sms_channel(
        ctx: AppContext, imported: dict[str, Case], smsc: SmsCentre, worker: SmsWorker) -> None:
    # (withdrawing the case and keeping the claim away from the number are the register's
    # and the claim's part: services/cases/do_not_call*, services/sync/claim*)
    with ctx.transaction() as session:
        session.add(DoNotCall(phone="+97517100001", source="request", reason="",
                              added_at=ctx.clock.now(), removal_reason=""))
    worker.run_once()
    assert cases(ctx)["Karma"].state == "queued"
    with ctx.transaction() as session:
        assert session.scalars(select(SmsOutbound.phone)).all() == ["+97577100002"]


def test_cases_waiting_with_the_sms_channel_are_not_listed_as_idle_holds(
        ctx: AppContext, clock: FixedClock, imported: dict[str, Case], smsc: SmsCentre,
        worker: SmsWorker, client: TestClient, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    worker.run_once()
    clock.advance(timedelta(days=5))  # past the idle-hold time (72 h), before the deadline
    make_user("boss", "supervisor")
    reply = client.get("/v1/cases/idle-holds", headers=login("boss"))
    assert reply.status_code == 200, reply.text
    assert reply.json()["holds"] == []


def test_a_call_list_without_sms_first_rows_makes_no_channel_account(
        ctx: AppContext, tmp_path: Path) -> None:
    seed_service(ctx, "CID", "Citizenship ID card")
    path = tmp_path / "calls.csv"
    path.write_text("name,phone\nKarma Wangchuk,+97517100001\n", encoding="utf-8")
    with ctx.transaction() as session:
        import_sample(session, path, service_code="CID", at=ctx.clock.now())
        assert session.scalars(select(User.username)).all() == []


def test_stop_withdraws_the_waiting_case_and_it_never_reaches_the_call_queue(
        ctx: AppContext, clock: FixedClock, imported: dict[str, Case], smsc: SmsCentre,
        worker: SmsWorker) -> None:
    worker.run_once()
    smsc.wait_for_submits(2)
    smsc.send_reply("+97517100001", "STOP")
    for _ in range(100):
        worker.run_once()
        if cases(ctx)["Karma"].state == "closed":
            break
    karma = cases(ctx)["Karma"]
    assert (karma.state, karma.holder_id) == ("closed", None)
    clock.advance(timedelta(days=8))
    worker.run_once()
    after = cases(ctx)
    assert after["Karma"].state == "closed"
    assert after["Pema"].state == "queued"
