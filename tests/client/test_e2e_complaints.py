"""End to end, complaints that close the loop (issue 16): the real server on a loopback port,
the enumerator's real LocalStore and SyncEngine, the supervisor's real SupervisorApi. A
complaint given with consent becomes one ticket; resolving it queues one call-back, which the
enumerator's next sync claims with its own script; the call-back's answer lands on the
ticket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cati_app.client.api import ApiClient, RequestRejected
from cati_app.client.store import LocalStore
from cati_app.client.supervisor_api import SupervisorApi, TicketQuery
from cati_app.client.sync import SyncEngine, ack_file_for
from cati_app.core.clock import SystemClock
from tests.support.constants import PASSWORD
from tests.support.pg import backends
from tests.support.server_process import ENUMERATOR, SUPERVISOR, LiveServer, running_server

pytestmark = pytest.mark.e2e

DEVICE = "dev-e2e-karma"
INDICATORS = ("acc_info", "acc_reach", "time_wait", "time_turnaround", "att_welcome",
              "att_courtesy", "int_fair", "int_payment", "fb_channels", "fb_willing")
COMPLAINT = {"consent": "yes", "availed": "yes", "comment": "", "complaint": "yes",
             "complaint_text": "Waited two weeks; my number is 17 11 22 33",
             "complaint_callback": "yes", **{name: "3" for name in INDICATORS}}


@pytest.fixture(params=backends())
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    workdir = tmp_path / "server"
    workdir.mkdir()
    with running_server(workdir, request.param, cases=3) as live:
        yield live


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    opened = LocalStore.open(tmp_path / "karma.sqlite3", username=ENUMERATOR,
                             clock=SystemClock())
    yield opened
    opened.close()


@pytest.fixture
def engine(server: LiveServer, store: LocalStore, tmp_path: Path) -> Iterator[SyncEngine]:
    api = ApiClient(server.base_url, timeout=10.0)
    api.login(ENUMERATOR, PASSWORD, DEVICE)
    yield SyncEngine(store, api, SystemClock(), device_id=DEVICE, target_queue_size=3,
                     ack_file=ack_file_for(tmp_path / "karma.sqlite3"))
    api.close()


@pytest.fixture
def boss(server: LiveServer) -> Iterator[SupervisorApi]:
    api = ApiClient(server.base_url, timeout=10.0)
    api.login(SUPERVISOR, PASSWORD, "dev-e2e-deki")
    yield SupervisorApi(api)
    api.close()


def interview(store: LocalStore, case_id: int, answers: dict[str, Any]) -> str:
    clock = SystemClock()
    case = store.get_case(case_id)
    script = store.questionnaire(case.questionnaire_id, case.questionnaire_version)
    assert script is not None, "the sync should have fetched the questionnaire"
    draft = store.start_interview(case_id, questionnaire=script, language="en",
                                  started_at=clock.now(), phone_index=0)
    for name, value in answers.items():
        store.save_answer(draft.interview_uuid, name, value, current_item=name)
    return store.finish_interview(draft.interview_uuid, ended_at=clock.now())


def queue(store: LocalStore) -> list[int]:
    return [case.case_id for case in store.queue(SystemClock().now())]


def test_a_complaint_with_consent_closes_the_loop(server: LiveServer, store: LocalStore,
                                                  engine: SyncEngine,
                                                  boss: SupervisorApi) -> None:
    assert engine.run_cycle().ok
    first = queue(store)[0]  # the whole sample (3) is claimed: only a call-back can come
    interview(store, first, COMPLAINT)
    assert engine.run_cycle().ok
    assert engine.run_cycle().ok  # a second cycle pushes nothing new and opens nothing

    page = boss.tickets(TicketQuery(state="open"))
    assert page.total == 1
    ticket = page.tickets[0]
    assert ticket.text == "Waited two weeks; my number is [phone]"
    assert (ticket.category, ticket.consent_to_follow_up) == ("delay", True)
    boss.change_ticket(ticket.id, "acknowledged", "Sent to the Thimphu office")
    boss.change_ticket(ticket.id, "resolved", "Card issued on 2026-11-30")
    with pytest.raises(RequestRejected):
        boss.change_ticket(ticket.id, "resolved", "pressed twice")

    held_before = set(queue(store))
    assert engine.run_cycle().ok
    [call_back] = [c for c in queue(store) if c not in held_before]
    case = store.get_case(call_back)
    assert case.questionnaire_id == "complaint_followup"
    interview(store, call_back, {"consent": "yes", "fixed": "no",
                                 "follow_up_comment": "Still waiting"})
    assert engine.run_cycle().ok

    answered = boss.ticket(ticket.id)
    assert answered.follow_up == "not fixed: Still waiting"
    assert answered.state == "resolved"
    server.stop()
    assert server.scalar("SELECT count(*) FROM tickets") == 1
    assert server.scalar("SELECT count(*) FROM cases c JOIN services s ON s.id = c.service_id "
                         "WHERE s.code = 'CID-FU'") == 1
