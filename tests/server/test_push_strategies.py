"""Both write strategies of push (set-wise bulk and per item) leave identical rows and give
identical per-item results, over generated push histories: replays, uuid reuse, stale items,
corrections, two devices working the same cases, late final outcomes, invalid items.

Each example runs the same history twice on a wiped database, once per strategy, and compares
every table a push writes (row by row, ids included: the rows are written in the same order)
and every answer of the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, delete, select, text

from cati_app.server.context import AppContext
from cati_app.server.models import Case
from cati_app.server.services.sync import push as push_service
from tests.server.factories import COMPLETE_ANSWERS, claim_body, seed_cases, seed_service

#: the tables a push (and the supervisor steps between pushes) writes
TABLES = ("cases", "assignments", "contact_attempts", "interview_versions", "pushed_items",
          "quarantine", "conflicts", "case_flags", "case_exclusions", "feed_changes",
          "audit_log")
#: server-made random ids, not written by push
RANDOM_COLUMNS = frozenset({"grant_id"})
#: the audit of logins carries no push rule and differs by token
AUDIT_SKIPPED = ("auth.",)

PARTIAL = {k: COMPLETE_ANSWERS[k] for k in ("consent", "availed", "acc_info", "acc_reach",
                                             "time_wait", "time_turnaround", "att_welcome")}
ANSWER_SETS: dict[str, dict[str, Any]] = {
    "complete": COMPLETE_ANSWERS, "partial": PARTIAL, "break_off": {"consent": "no"},
    "unreadable": {"acc_info": {"not": "a code"}}}
OUTCOMES = ("no_answer", "busy", "appointment", "soft_refusal", "hard_refusal", "wrong_number",
            "voicemail", "complete", "teleported", "language_needed")
USERS = ("enum1", "enum2")
CASES = 6


@dataclass(frozen=True)
class Spec:
    """One pushed item, described by what it is; made concrete against the database."""
    kind: str  # attempt | interview | correction | replay | reuse | release | appointment
    case: int  # index into the seeded cases
    outcome: str = "no_answer"
    answers: str = "complete"
    phone: int = 0
    minutes_ago: int = 30
    stale: bool = False
    earlier: int = 0  # which earlier item a replay, reuse or correction refers to


@dataclass(frozen=True)
class Push:
    user: int
    items: tuple[Spec, ...]


@dataclass(frozen=True)
class Reassign:
    case: int
    to_user: int | None


@dataclass(frozen=True)
class SendBack:
    case: int


Step = Push | Reassign | SendBack

specs = st.builds(
    Spec,
    kind=st.sampled_from(["attempt", "attempt", "attempt", "interview", "interview",
                          "correction", "replay", "reuse", "release", "appointment"]),
    case=st.integers(0, CASES - 1), outcome=st.sampled_from(OUTCOMES),
    answers=st.sampled_from(list(ANSWER_SETS)), phone=st.sampled_from([0, 0, 0, 1, 3]),
    minutes_ago=st.integers(1, 600), stale=st.booleans(),
    earlier=st.integers(0, 50))
steps = st.one_of(
    st.builds(Push, user=st.integers(0, 1),
              items=st.lists(specs, min_size=1, max_size=6).map(tuple)),
    st.builds(Push, user=st.integers(0, 1),  # an everyday batch: fresh, current work
              items=st.lists(st.builds(Spec, kind=st.sampled_from(["attempt", "interview"]),
                                       case=st.integers(0, CASES - 1),
                                       outcome=st.sampled_from(OUTCOMES[:6]),
                                       answers=st.sampled_from(["complete", "partial"]),
                                       minutes_ago=st.integers(1, 600)),
                             min_size=1, max_size=6).map(tuple)),
    st.builds(Reassign, case=st.integers(0, CASES - 1),
              to_user=st.sampled_from([0, 1, None])),
    st.builds(SendBack, case=st.integers(0, CASES - 1)))
histories = st.lists(steps, min_size=1, max_size=7)

EVERYDAY = [Push(0, (Spec("attempt", 0, "no_answer", minutes_ago=90),
                     Spec("attempt", 0, "busy", minutes_ago=60),
                     Spec("attempt", 1, "appointment", minutes_ago=40),
                     Spec("interview", 2, answers="complete", minutes_ago=20)))]
LATE_AND_CORRECTED = [
    Push(0, (Spec("interview", 0, minutes_ago=50), Spec("attempt", 1, "no_answer"))),
    Reassign(1, 1), Push(0, (Spec("attempt", 1, "hard_refusal", stale=True),)),
    SendBack(0), Push(0, (Spec("correction", 0, answers="partial", earlier=0),
                          Spec("replay", 0, earlier=1), Spec("reuse", 0, earlier=0)))]


class World:
    """One run of a history against the app, remembering what it pushed."""

    def __init__(self, ctx: AppContext, client: TestClient, boss: dict[str, str],
                 auth: list[dict[str, str]], cases: list[int]) -> None:
        self.ctx, self.client, self.boss, self.auth, self.cases = ctx, client, boss, auth, cases
        self.sent: list[dict[str, Any]] = []
        self.counter = 0

    def uuid(self) -> str:
        self.counter += 1
        return str(uuid.UUID(int=self.counter))

    def run(self, history: list[Step]) -> list[Any]:
        return [self.step(s) for s in history]

    def step(self, step: Step) -> Any:
        if isinstance(step, Reassign):
            to = None if step.to_user is None else USERS[step.to_user]
            r = self.client.post("/v1/cases/assign", headers=self.boss, json={
                "case_ids": [self.cases[step.case]], "to_user": to, "force": True,
                "reason": "test"})
            return r.status_code, r.json()
        if isinstance(step, SendBack):
            primary = self._primary_interview(self.cases[step.case])
            if primary is None:
                return "no interview"
            r = self.client.post(f"/v1/interviews/{primary}/reject", headers=self.boss,
                                 json={"comment": "redo"})
            return r.status_code, r.json()
        items = [self.item(spec) for spec in step.items]
        r = self.client.post("/v1/sync/push", headers=self.auth[step.user], json={
            "device_id": f"dev-{USERS[step.user]}", "batch_uuid": self.uuid(), "items": items})
        assert r.status_code == 200, r.text
        body = r.json()
        return [(x["item_uuid"], x["status"], x["detail"], x["conflict_id"])
                for x in body["results"]]

    def item(self, spec: Spec) -> dict[str, Any]:
        if spec.kind in ("replay", "reuse") and self.sent:
            earlier = self.sent[spec.earlier % len(self.sent)]
            if spec.kind == "replay":
                return earlier
            changed = {**earlier, "payload": {**earlier["payload"], "note": "changed"}}
            self.sent.append(changed)
            return changed
        case_id = self.cases[spec.case]
        with self.ctx.sessions() as s:
            version = s.get_one(Case, case_id).assignment_version
        at = self.ctx.clock.now() - timedelta(minutes=spec.minutes_ago)
        payload: dict[str, Any]
        kind = "contact_attempt"
        if spec.kind in ("interview", "correction"):
            kind = "interview_version"
            base = self._some_version(spec) if spec.kind == "correction" else None
            payload = {"interview_uuid": self.uuid(), "version_uuid": self.uuid(),
                       "questionnaire_id": "set", "questionnaire_version": 1,
                       "language": "en", "started_at": at.isoformat(),
                       "ended_at": (at + timedelta(minutes=4)).isoformat(),
                       "answers": ANSWER_SETS[spec.answers], "phone_index": spec.phone,
                       "base_version_uuid": base}
        elif spec.kind == "release":
            kind, payload = "case_release", {"reason": "not me"}
        elif spec.kind == "appointment":
            kind = "appointment"
            payload = {"at": (self.ctx.clock.now() + timedelta(hours=spec.phone + 2)
                              ).isoformat(), "kind": "hard" if spec.phone else "soft"}
        else:
            payload = {"started_at": at.isoformat(), "ended_at": at.isoformat(),
                       "phone_index": spec.phone, "outcome": spec.outcome}
            if spec.outcome == "appointment":
                payload["appointment_at"] = (at + timedelta(hours=5)).isoformat()
                payload["appointment_kind"] = "hard" if spec.phone else "soft"
            if spec.outcome == "language_needed":  # issue 18: the case changes hands
                payload["language"] = "ne"
        item = {"item_uuid": self.uuid(), "kind": kind, "case_id": case_id,
                "assignment_version": max(0, version - 1) if spec.stale else version,
                "payload": payload}
        self.sent.append(item)
        return item

    def _some_version(self, spec: Spec) -> str | None:
        """The base of a correction: an earlier interview's version (maybe of another
        case, which the server refuses), or the case's primary."""
        earlier = [i for i in self.sent if i["kind"] == "interview_version"]
        if earlier and spec.earlier % 3:
            return str(earlier[spec.earlier % len(earlier)]["payload"]["version_uuid"])
        with self.ctx.sessions() as s:
            return s.scalar(text("SELECT version_uuid FROM interview_versions WHERE case_id = "
                                 ":c AND \"primary\"").bindparams(c=self.cases[spec.case]))

    def _primary_interview(self, case_id: int) -> str | None:
        with self.ctx.sessions() as s:
            return s.scalar(text("SELECT interview_uuid FROM interview_versions WHERE "
                                 "case_id = :c AND \"primary\"").bindparams(c=case_id))


def _wipe(ctx: AppContext) -> None:
    """An empty database with fresh id counters, so two runs number their rows alike."""
    metadata = Case.metadata
    with ctx.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            # the audit log refuses deletes (migration 0006_h9_audit): lift its guard for the
            # wipe alone and put the very same triggers back
            guards = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = "
                                       "'trigger' AND tbl_name = 'audit_log'")).all()
            for name, _sql in guards:
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            for table in reversed(metadata.sorted_tables):
                conn.execute(delete(table))
            for _name, sql in guards:
                conn.execute(text(sql))
            if conn.execute(text("SELECT name FROM sqlite_master WHERE name = "
                                 "'sqlite_sequence'")).first():
                conn.execute(text("DELETE FROM sqlite_sequence"))
    ctx.questionnaires.clear()


def _rows(ctx: AppContext) -> dict[str, list[tuple[Any, ...]]]:
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with ctx.engine.connect() as conn:
        for name in TABLES:
            table: Table = Case.metadata.tables[name]
            columns = [c for c in table.columns if c.name not in RANDOM_COLUMNS]
            rows = conn.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            if name == "audit_log":
                rows = [r for r in rows if not r.action.startswith(AUDIT_SKIPPED)]
            tables[name] = [tuple(r) for r in rows]
    return tables


@pytest.fixture
def run_history(ctx: AppContext, client: TestClient, make_user: Callable[..., int],
                login: Callable[..., dict[str, str]]
                ) -> Iterator[Callable[[list[Step], bool], tuple[list[Any], dict[str, Any]]]]:
    def run(history: list[Step], bulk: bool) -> tuple[list[Any], dict[str, Any]]:
        _wipe(ctx)
        for name in USERS:
            make_user(name)
        make_user("boss", role="supervisor")
        seeded = seed_cases(ctx, seed_service(ctx), CASES, phones=2)
        auth = [login(name) for name in USERS]
        cases: list[int] = []  # enum1's three first, then enum2's two, then the pool's one
        for name, user, n in zip(USERS, auth, (3, 2), strict=True):
            r = client.post("/v1/queue/claim", json=claim_body(n, device_id=f"dev-{name}"),
                            headers=user)
            assert r.status_code == 200, r.text
            cases += [c["case_id"] for c in r.json()["cases"]]
        cases += [c for c in seeded if c not in cases]
        world = World(ctx, client, login("boss"), auth, cases)
        push_service.FAST_PATH = bulk
        try:
            answers = world.run(history)
        finally:
            push_service.FAST_PATH = True
        return answers, _rows(ctx)

    yield run


def _compare(run_history: Callable[[list[Step], bool], tuple[list[Any], dict[str, Any]]],
             history: list[Step]) -> None:
    bulk_answers, bulk_rows = run_history(history, True)
    item_answers, item_rows = run_history(history, False)
    assert bulk_answers == item_answers
    for name in TABLES:
        assert bulk_rows[name] == item_rows[name], name


#: no shrinking: each example runs the app twice, and a shrink would take many minutes; the
#: failing history is printed whole
@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@example(history=EVERYDAY)
@example(history=LATE_AND_CORRECTED)
@given(history=histories)
def test_bulk_and_per_item_writes_leave_the_same_rows(run_history, history):
    _compare(run_history, history)


def test_the_everyday_batch_takes_the_bulk_way(run_history, monkeypatch):
    """Guards the comparison above from comparing the per-item path with itself."""
    from cati_app.server.services.sync import push_batch

    used: list[bool] = []
    real = push_batch.push_fast

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        used.append(result is not None)
        return result

    monkeypatch.setattr(push_service, "push_fast", spy)
    answers, rows = run_history(EVERYDAY, True)
    assert used == [True]
    assert [status for _u, status, _d, _c in answers[0]] == ["stored"] * 4
    assert len(rows["contact_attempts"]) == 4 and len(rows["interview_versions"]) == 1


def test_a_late_correction_history_touches_every_rule(run_history):
    answers, rows = run_history(LATE_AND_CORRECTED, False)
    statuses = [status for push in answers if isinstance(push, list)
                for _u, status, _d, _c in push]
    assert "stored_conflict" in statuses  # the late hard refusal
    assert "duplicate" in statuses and "rejected_uuid_reuse" in statuses
    assert any(v for v in rows["conflicts"])
