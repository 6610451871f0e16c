"""Issue 10, "The feed and the ledger": sending a rejected item again returns its original
rejected status and detail (the client keeps it in its rejected table), never ``duplicate``."""

from __future__ import annotations

import sqlite3

from sqlalchemy import func, select

from cati_app.client.api import ApiClient, ServerUnavailable
from cati_app.client.store import LocalStore
from cati_app.client.sync import SyncEngine
from cati_app.core.clock import FixedClock
from cati_app.core.protocol import PushRequest, PushResponse, QueueCase
from cati_app.server.models import ContactAttempt, QuarantinedItem
from tests.support.constants import PASSWORD
from tests.support.factories import attempt_item, claim_body, push_body, seed_cases, seed_service


def _push(client, auth, items):
    r = client.post("/v1/sync/push", json=push_body(items), headers=auth)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_a_rejected_item_sent_again_is_rejected_again_with_the_same_detail(
        ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = client.post("/v1/queue/claim", json=claim_body(1), headers=auth).json()["cases"][0]
    bad = attempt_item(case, ctx.clock.now(), outcome="teleported")
    unknown_case = {**attempt_item(case, ctx.clock.now()), "case_id": 999_999}
    first = _push(client, auth, [bad, unknown_case])
    assert [r["status"] for r in first] == ["rejected_invalid", "rejected_invalid"]
    again = _push(client, auth, [bad, unknown_case])
    assert [r["status"] for r in again] == ["rejected_invalid", "rejected_invalid"]
    assert [r["detail"] for r in again] == [r["detail"] for r in first]
    with ctx.sessions() as s:
        # kept aside once, not once per sending; nothing applied
        assert s.scalar(select(func.count()).select_from(QuarantinedItem)) == 2
        assert s.scalar(select(func.count()).select_from(ContactAttempt)) == 0


def test_a_stored_item_sent_again_is_still_a_duplicate(ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = client.post("/v1/queue/claim", json=claim_body(1), headers=auth).json()["cases"][0]
    good = attempt_item(case, ctx.clock.now())
    assert _push(client, auth, [good])[0]["status"] == "stored"
    again = _push(client, auth, [good])[0]
    assert again["status"] == "duplicate" and again["detail"].startswith("already received")


class ReplyLostOnce(ApiClient):
    """The first push reaches the server, and its reply is lost on the way back."""

    lost = False

    def push(self, request: PushRequest) -> PushResponse:
        reply = super().push(request)
        if not self.lost:
            self.lost = True
            raise ServerUnavailable("connection reset")
        return reply


def test_the_device_keeps_a_rejected_item_whose_first_reply_was_lost(
        ctx, make_user, live_server, tmp_path):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    clock = FixedClock(ctx.clock.now())
    store = LocalStore.open(tmp_path / "device.sqlite3", username="enum1", clock=clock)
    api = ReplyLostOnce(live_server.url)
    api.login("enum1", PASSWORD, "dev-enum1")
    engine = SyncEngine(store, api, clock, device_id="dev-enum1", target_queue_size=1)
    try:
        assert engine.run_cycle().claimed == 1
        # a case this device believes it holds but the server does not know (a restored
        # server, a hand-copied database): the server refuses work on it
        ghost = store.get_case(store.queue(clock.now())[0].case_id)
        store.store_claim("grant-ghost", [QueueCase(
            case_id=999_999, assignment_version=1, service_code="CID",
            questionnaire_id="set", questionnaire_version=1, priority=50, respondent_name="Ghost",
            phones=list(ghost.phones))])
        store.record_attempt(999_999, outcome="no_answer", phone_index=0,
                             started_at=clock.now(), ended_at=clock.now())
        assert not engine.run_cycle().ok  # refused on the server; the reply never came
        assert store.pending_count() == 1
        assert engine.run_cycle().ok  # sent again: refused again, not "duplicate"
        assert store.pending_count() == 0
        with sqlite3.connect(tmp_path / "device.sqlite3") as db:
            kept = db.execute("SELECT case_id, status FROM rejected").fetchall()
        assert kept == [(999_999, "rejected_invalid")]
        assert any(e.level == "error" and "refused" in e.message and "999999" in e.message
                   for e in store.sync_log())
    finally:
        api.close()
        store.close()
