"""The client process of the SIGKILL test: the real LocalStore, ApiClient and SyncEngine doing
an enumerator's day in a loop (save calls and interviews, sync, save, sync...) until the
parent kills it.

It runs in a child *forked* from the test process, which has imported everything already: a
kill and restart then costs a fork (milliseconds), not an interpreter start with SQLAlchemy,
pydantic and Alembic (a second), so hundreds of kills fit in a CI run. The child tells the
parent over a pipe, one short line per ``os.write`` (atomic on a pipe), which uuids it saved
(*after* the commit returned) and which step it is in, so the parent knows where each kill
landed.
"""

from __future__ import annotations

import os
import random
import traceback
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

from tests.reliability.desk import ANSWERS, Desk


class Tracer:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.current = ""

    def say(self, line: str) -> None:
        os.write(self.fd, (line + "\n").encode())

    def phase(self, name: str) -> None:
        if name != self.current:
            self.current = name
            self.say(f"phase {name}")

    def wrap(self, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def traced(*args: Any, **kwargs: Any) -> Any:
            self.phase(name)
            return call(*args, **kwargs)

        return traced


def churn(db_path: Path, base_url: str, token: str, seed: int, fd: int) -> NoReturn:
    """Work and sync until killed. Never returns into the forked test process."""
    try:
        tracer = Tracer(fd)
        tracer.phase("start")
        desk = Desk(base_url, db_path, target_queue_size=6, token=token, pull_limit=10)
        _trace_sync_steps(desk, tracer)
        rng = random.Random(seed)
        while True:
            _work(desk, rng, tracer)
            desk.engine.run_cycle()
    except BaseException:  # noqa: BLE001 - reported to the parent, which fails the test
        os.write(fd, ("error " + traceback.format_exc().replace("\n", " | ") + "\n").encode())
    finally:
        os._exit(3)


def _trace_sync_steps(desk: Desk, tracer: Tracer) -> None:
    """Name each step of a cycle as it starts (the engine calls through these attributes)."""
    for owner, name, step in ((desk.api, "hello", "hello"), (desk.api, "push", "push"),
                              (desk.store, "settle", "settle"), (desk.api, "pull", "pull"),
                              (desk.store, "apply_changes", "apply page"),
                              (desk.api, "claim", "claim"),
                              (desk.store, "store_claim", "store claim"),
                              (desk.api, "ack", "ack")):
        setattr(owner, name, tracer.wrap(step, getattr(owner, name)))


def _work(desk: Desk, rng: random.Random, tracer: Tracer) -> None:
    tracer.phase("save work")
    cases = desk.store.queue(desk.clock.now())
    if not cases:
        return
    case = desk.store.get_case(rng.choice(cases).case_id)
    now = desk.clock.now()
    script = desk.store.questionnaire(case.questionnaire_id, case.questionnaire_version)
    if script is None or rng.random() < 0.7:
        made = desk.store.record_attempt(case.case_id, outcome="no_answer", phone_index=0,
                                         started_at=now - timedelta(minutes=1), ended_at=now)
        tracer.say(f"made {made}")
        return
    draft = desk.store.start_interview(case.case_id, questionnaire=script, language="en",
                                       started_at=now, phone_index=0)
    for name, value in ANSWERS.items():
        desk.store.save_answer(draft.interview_uuid, name, value, current_item=name)
    tracer.say(f"made {desk.store.finish_interview(draft.interview_uuid, ended_at=now)}")
