"""Model-based test (hypothesis stateful) of sync against the real app (DESIGN.md §4, issue 6).

Several enumerators claim, work offline (attempts, completed interviews, corrections), push and
pull while the network duplicates requests, loses replies after the server committed, replays
old batches and reorders the items of a batch across cases; a supervisor reassigns by force,
approves and rejects; the server's and the clients' clocks jump by hours. After every step the
invariants below hold; at the end the same scenario is replayed on a fresh server without any
fault, and every answer and the final state must be the same (so the result does not depend
on duplication, lost replies or reordering).

SQLite always; PostgreSQL with fewer examples when CATI_TEST_PG_URL is set. CI runs 12 examples
(3 on PostgreSQL) of 25 steps; CATI_SOAK=1 (``./tasks soak``) runs 200 (40) of 40 steps."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from cati_app.server.models import (
    Assignment,
    Case,
    Conflict,
    ContactAttempt,
    InterviewVersion,
    PushedItem,
    QuarantinedItem,
)
from tests.model.client_model import ClientModel
from tests.model.world import SUPERVISOR, World, replay, summarise
from tests.support.pg import backends
from tests.support.soak import scaled, soak

SOAK = bool(soak())
#: examples per backend: CI, and soak
EXAMPLES = scaled({"sqlite": 12, "postgres": 3}, {"sqlite": 200, "postgres": 40})
ENUMERATORS = ["e0", "e1", "e2"]
WHO = st.sampled_from(range(len(ENUMERATORS)))
FAULTS = st.sampled_from(["none", "duplicate", "lost_reply", "reorder"])
STORED = {"stored", "duplicate", "stored_conflict"}
COMPLETIONS = ("complete", "partial")


class SyncModel(RuleBasedStateMachine):
    backend = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.world = World(self.backend, ENUMERATORS)
        self.clients = [ClientModel(name) for name in ENUMERATORS]
        self.delivered: set[str] = set()  # item_uuids the server committed at least once
        self.rng = random.Random(0)
        #: enumerator steps since the supervisor last acted: the supervisor acts between
        #: enumerators' work, not in long runs of its own
        self.quiet_steps = 0

    def teardown(self) -> None:
        try:
            clean = replay(self.world.trace, self.backend, ENUMERATORS)
            try:
                assert clean.snapshot() == self.world.snapshot()
            finally:
                clean.close()
        finally:
            self.world.close()

    # --- network --------------------------------------------------------------------------

    def _push(self, c: ClientModel, items: list[dict[str, Any]], fault: str) -> None:
        body = c.push_body(items)
        r = self.world.post(c.name, "/v1/sync/push", body)
        assert r.status_code == 200, r.text
        first = [i for i in items if i["item_uuid"] not in self.delivered]
        if first:  # what a fault-free network carries: each item once, in creation order
            order = {i["item_uuid"]: n for n, i in enumerate(c.outbox)}
            clean = c.push_body(sorted(first, key=lambda i: order.get(i["item_uuid"], -1)))
            self.world.record("push", c.name, clean, sorted(
                x for x in summarise("push", r) if x[0] in {i["item_uuid"] for i in first}))
        self.delivered |= {i["item_uuid"] for i in items}
        c.sent.append(body)
        if fault == "duplicate":  # the same request arrives twice: nothing new happens
            again = self.world.post(c.name, "/v1/sync/push", body).json()["results"]
            assert {x["status"] for x in again} <= {"duplicate", "rejected_uuid_reuse"} - {
                "rejected_uuid_reuse"}, again
        if fault != "lost_reply":
            c.settle(r.json()["results"])

    # --- enumerators ----------------------------------------------------------------------

    @rule(who=WHO, fault=FAULTS, k=st.integers(1, 4), lose_claim=st.booleans(),
          server_hours=st.sampled_from([0, 0, 1, 3, 14]), client_hours=st.integers(-6, 6))
    def sync_cycle(self, who: int, fault: str, k: int, lose_claim: bool, server_hours: int,
                   client_hours: int) -> None:
        """Hours pass (the server's clock and this client's own clock jump), then what the
        client's sync worker does: push (part of) the outbox, pull, claim, ack."""
        self.quiet_steps += 1
        c = self.clients[who]
        c.clock_offset = timedelta(hours=client_hours)
        if server_hours:
            self.world.set_clock(self.world.clock.now() + timedelta(hours=server_hours))
        if c.outbox:
            items = c.outbox[:k]
            if fault == "reorder":  # cases interleave differently; one case keeps its order
                items = _interleave(items, self.rng)
            self._push(c, items, fault)
        self._pull(c)
        if len(c.held) < 2 or c.pending_claim is not None:
            self._claim(c, 2, lose_claim)

    def _claim(self, c: ClientModel, n: int, lose: bool) -> None:
        if c.pending_claim is None:
            c.pending_claim = c.claim_body(n)
            r = self.world.post(c.name, "/v1/queue/claim", c.pending_claim)
            self.world.record("claim", c.name, c.pending_claim, summarise("claim", r),
                              r.json().get("grant_id", ""))
        else:  # the retry of a claim whose reply was lost: the same grant, nothing new
            r = self.world.post(c.name, "/v1/queue/claim", c.pending_claim)
        assert r.status_code == 200, r.text
        if lose:
            return
        c.pending_claim = None
        grant = r.json()
        for case in grant["cases"]:
            c.held[case["case_id"]] = case["assignment_version"]
        ack = {"grant_id": grant["grant_id"], "case_ids": [x["case_id"] for x in grant["cases"]]}
        a = self.world.post(c.name, "/v1/queue/ack", ack)
        self.world.record("ack", c.name, ack, summarise("ack", a))

    def _pull(self, c: ClientModel) -> None:
        while True:
            r = self.world.client.get("/v1/sync/pull", params={"cursor": str(c.cursor),
                                                                "limit": 3},
                                      headers=self.world.headers[c.name])
            page = r.json()
            seqs = [ch["seq"] for ch in page["changes"]]
            assert seqs == list(range(c.cursor + 1, c.cursor + 1 + len(seqs))), seqs  # G6
            for change in page["changes"]:
                c.apply_change(change)
            c.cursor = int(page["next_cursor"])
            if not page["has_more"]:
                return

    @precondition(lambda self: any(c.held for c in self.clients))
    @rule(data=st.data(),
          outcome=st.sampled_from(["complete", "complete", "no_answer", "busy", "hard_refusal"]))
    def work_offline(self, data: st.DataObject, outcome: str) -> None:
        self.quiet_steps += 1
        c = data.draw(st.sampled_from([c for c in self.clients if c.held]))
        case_id = data.draw(st.sampled_from(sorted(c.held)))
        at = c.local_time(self.world.clock.now())
        if case_id in c.corrections:
            c.correct(case_id, at)
        elif outcome == "complete":
            c.complete_interview(case_id, at)
        else:
            c.make_attempt(case_id, outcome, at)
            if outcome == "hard_refusal":
                c.held.pop(case_id)

    @precondition(lambda self: any(c.sent for c in self.clients))
    @rule(data=st.data())
    def replay_an_old_batch(self, data: st.DataObject) -> None:
        c = data.draw(st.sampled_from([c for c in self.clients if c.sent]))
        old = data.draw(st.sampled_from(c.sent))
        r = self.world.post(c.name, "/v1/sync/push", old)
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        with self.world.ctx.sessions() as s:
            first = dict(s.execute(select(PushedItem.item_uuid, PushedItem.status).where(
                PushedItem.item_uuid.in_([x["item_uuid"] for x in results]))).all())
        # stored items come back "duplicate"; a rejected one is rejected again, as the first
        # time (issue 10: the device keeps it in its rejected table)
        for x in results:
            was = first[x["item_uuid"]]
            assert x["status"] == (was if was.startswith("rejected") else "duplicate"), r.text

    # --- supervisor -----------------------------------------------------------------------

    @precondition(lambda self: self.quiet_steps >= 2)
    @rule(data=st.data(), action=st.sampled_from(["reassign", "approve", "reject"]))
    def supervisor_acts(self, data: st.DataObject, action: str) -> None:
        self.quiet_steps = 0
        pending = self._pending_reviews()
        if action == "reassign" or not pending:
            # mostly a case someone works on offline: that is where stale work comes from
            busy = sorted({i for c in self.clients for i in [*c.held, *(
                x["case_id"] for x in c.outbox)]})
            case_id = data.draw(st.sampled_from(busy or self.world.case_ids))
            body = {"case_ids": [case_id], "to_user": data.draw(st.sampled_from(ENUMERATORS)),
                    "force": True, "reason": "rebalancing"}
            r = self.world.post(SUPERVISOR, "/v1/cases/assign", body)
            self.world.record("assign", SUPERVISOR, body, summarise("assign", r))
            return
        interview = data.draw(st.sampled_from(pending))
        path, body = f"/v1/interviews/{interview}/{action}", {"comment": "check q3"}
        r = self.world.post(SUPERVISOR, path, body)
        assert r.status_code == 200, r.text
        self.world.record(action, SUPERVISOR, body, summarise(action, r), path=path)

    def _pending_reviews(self) -> list[str]:
        with self.world.ctx.sessions() as s:
            return sorted(s.scalars(select(InterviewVersion.interview_uuid).where(
                InterviewVersion.primary.is_(True), InterviewVersion.review_status == "pending",
                InterviewVersion.completion.in_(COMPLETIONS))))

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def every_acknowledged_item_is_on_the_server_once(self) -> None:
        acknowledged = {u: s for c in self.clients for u, s in c.acknowledged.items()}
        with self.world.ctx.sessions() as s:
            ledger = dict(s.execute(select(PushedItem.item_uuid, PushedItem.status)).all())
            attempts = s.scalars(select(ContactAttempt.item_uuid)).all()
            versions = s.scalars(select(InterviewVersion.item_uuid)).all()
            kept_aside = set(s.scalars(select(QuarantinedItem.item_uuid)))
        assert len(attempts) == len(set(attempts)) and len(versions) == len(set(versions))
        for item_uuid, status in acknowledged.items():
            assert item_uuid in ledger, (item_uuid, status)
            if status in STORED:
                assert item_uuid in set(attempts) | set(versions), (item_uuid, status)
            else:
                assert item_uuid in kept_aside, (item_uuid, status)
        assert set(ledger) == self.delivered

    @invariant()
    def at_most_one_holder_per_case(self) -> None:  # G5
        with self.world.ctx.sessions() as s:
            open_holds = s.execute(select(Assignment.case_id, Assignment.version,
                                          Assignment.user_id)
                                   .where(Assignment.ended_at.is_(None))).all()
            cases = {c.id: c for c in s.scalars(select(Case))}
        per_case: dict[int, list[tuple[int, int]]] = {}
        for case_id, version, user_id in open_holds:
            per_case.setdefault(case_id, []).append((version, user_id))
        for case_id, case in cases.items():
            holds = per_case.get(case_id, [])
            if case.holder_id is None:
                assert holds == [], (case_id, holds)
            else:
                assert holds == [(case.assignment_version, case.holder_id)], (case_id, holds)

    @invariant()
    def every_stale_completion_is_kept_and_raised(self) -> None:  # G4
        with self.world.ctx.sessions() as s:
            stale = s.scalars(select(InterviewVersion.version_uuid).where(
                InterviewVersion.stale.is_(True), InterviewVersion.base_version_uuid.is_(None),
                InterviewVersion.completion.in_(COMPLETIONS))).all()
            raised = {u for versions in s.scalars(select(Conflict.versions)) for u in versions}
            count = s.scalar(select(func.count()).select_from(InterviewVersion)) or 0
        assert set(stale) <= raised, set(stale) - raised
        assert count >= len(stale)


def _interleave(items: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """A random merge of the per-case sequences: cases interleave, each case keeps its order."""
    queues: dict[int, list[dict[str, Any]]] = {}
    for item in items:
        queues.setdefault(item["case_id"], []).append(item)
    merged = []
    while queues:
        case_id = rng.choice(sorted(queues))
        merged.append(queues[case_id].pop(0))
        if not queues[case_id]:
            del queues[case_id]
    return merged


@pytest.mark.parametrize("backend", backends())
def test_sync_survives_a_faulty_network(backend: str) -> None:
    examples = EXAMPLES[backend]
    model = type(f"SyncModel_{backend}", (SyncModel,), {"backend": backend})
    run_state_machine_as_test(model, settings=settings(
        max_examples=examples, stateful_step_count=40 if SOAK else 25, deadline=None,
        derandomize=not SOAK, database=None, suppress_health_check=list(HealthCheck)))
