"""The feed's wire contract, checked on what the real server sends (not hand-written dicts): a
run that makes the server write every change type it emits, read three ways — as the typed
union, as this desktop reads it (unknown keys ignored), and as the release before reads it
(tests/e2e/old_wire.py) — and then applied by the real sync engine."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cati_app.client.api import ApiClient
from cati_app.client.store import LocalStore
from cati_app.client.supervisor_api import SupervisorApi
from cati_app.client.sync import SyncEngine
from cati_app.core.clock import SystemClock
from cati_app.core.protocol import (
    CHANGE,
    CaseRevoked,
    CaseUpsert,
    ChangeType,
    ConflictNotice,
    PulledPage,
    QuestionnaireAvailable,
    UnreadableChange,
)
from cati_app.core.resources import resource
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.services.catalogue import catalogue
from tests.e2e.old_wire import OLD_KNOWN_TYPES, OldPullResponse, old_reading
from tests.support.constants import PASSWORD
from tests.support.pg import backends
from tests.support.server_process import (
    ENUMERATOR,
    OTHER_ENUMERATOR,
    SUPERVISOR,
    LiveServer,
    running_server,
)

pytestmark = pytest.mark.e2e

DEVICE = "dev-wire-karma"
ANSWERS = {"consent": "yes", "availed": "yes", "complaint": "no",
           **{name: "3" for name in ("acc_info", "acc_reach", "time_wait", "time_turnaround",
                                     "att_welcome", "att_courtesy", "int_fair", "int_payment",
                                     "fb_channels", "fb_willing")}}


class Run:
    """The real server after karma, her supervisor and an admin have each done what makes the
    server write every type of change into karma's feed."""

    def __init__(self, server: LiveServer, workdir: Path) -> None:
        self.server = server
        self.clock = SystemClock()
        self.store = LocalStore.open(workdir / "karma.sqlite3", username=ENUMERATOR,
                                     clock=self.clock)
        self.api = ApiClient(server.base_url, timeout=10.0)
        self.api.login(ENUMERATOR, PASSWORD, DEVICE)
        self.engine = SyncEngine(self.store, self.api, self.clock, device_id=DEVICE,
                                 target_queue_size=3)
        boss = ApiClient(server.base_url, timeout=10.0)
        boss.login(SUPERVISOR, PASSWORD, "dev-wire-deki")
        self.supervisor = SupervisorApi(boss)

    def close(self) -> None:
        self.api.close()
        self.supervisor.api.close()
        self.store.close()

    def make_every_change(self) -> tuple[int, int, int]:
        """(moved, corrected, assigned) case ids."""
        assert self.engine.run_cycle().ok
        moved, corrected = sorted(c.case_id for c in self.store.queue(self.clock.now()))[:2]
        # case_revoked: the supervisor moves a case to sonam while karma works offline
        assert self.supervisor.assign([moved], OTHER_ENUMERATOR, force=True,
                                      reason="karma is on leave").results[0].result == "assigned"
        now = self.clock.now()
        # conflict_notice: karma's final outcome on the moved case arrives stale
        self.store.record_attempt(moved, outcome="hard_refusal", phone_index=0,
                                  started_at=now - timedelta(minutes=2), ended_at=now,
                                  note="never call again")
        self._interview(corrected)
        assert self.engine.run_cycle().ok
        # case_upsert with a correction: the supervisor sends the interview back
        [review] = self.supervisor.interviews_for_review().interviews
        self.supervisor.reject(review.interview_uuid, "consent was not read out")
        # case_upsert: a queued case assigned to karma
        queued = int(self.server.scalar("SELECT min(id) FROM cases WHERE state = 'queued'"))
        self.supervisor.assign([queued], ENUMERATOR)
        self._new_questionnaire_version()  # questionnaire_available
        return moved, corrected, queued

    def raw_feed(self) -> dict[str, Any]:
        return self.api.send("GET", "/v1/sync/pull", params={"cursor": "0"}).json()

    def _interview(self, case_id: int) -> None:
        script = self.store.questionnaire("set", 1)
        assert script is not None
        draft = self.store.start_interview(case_id, questionnaire=script, language="en",
                                           started_at=self.clock.now(), phone_index=0)
        for name, value in ANSWERS.items():
            self.store.save_answer(draft.interview_uuid, name, value, current_item=name)
        self.store.finish_interview(draft.interview_uuid, ended_at=self.clock.now())

    def _new_questionnaire_version(self) -> None:
        definition = json.loads(resource("questionnaires", "set_default.json")
                                .read_text(encoding="utf-8"))
        definition["version"] = 2
        with self.server.database() as engine:
            ctx = AppContext.build(self.server.settings(), engine=engine)
            with transaction(ctx.sessions) as session:
                catalogue.add_questionnaire_version(session, definition, at=ctx.clock.now(),
                                                    by=None)


@pytest.fixture(scope="module", params=backends())
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[tuple[Run, dict[str, Any], tuple[int, int, int]]]:
    workdir = tmp_path_factory.mktemp("wire")
    with running_server(workdir, request.param, cases=6) as server:
        made = Run(server, workdir)
        try:
            ids = made.make_every_change()
            yield made, made.raw_feed(), ids
        finally:
            made.close()


def test_every_change_the_server_emits_parses_into_its_own_model(run) -> None:  # noqa: ANN001
    _, raw, (moved, corrected, assigned) = run
    changes = [CHANGE.validate_python(c) for c in raw["changes"]]
    emitted = {c.type for c in changes}
    # interview_rejected is no longer written: the correction travels in the case's view
    assert emitted == {ChangeType.case_upsert, ChangeType.case_revoked,
                       ChangeType.conflict_notice, ChangeType.questionnaire_available}
    by_type = {t: [c for c in changes if c.type is t] for t in emitted}
    [revoked] = by_type[ChangeType.case_revoked]
    assert isinstance(revoked, CaseRevoked) and revoked.case_id == moved
    assert revoked.body.reason == "karma is on leave"
    [notice] = by_type[ChangeType.conflict_notice]
    assert isinstance(notice, ConflictNotice) and notice.case_id == moved
    assert notice.body.kind and notice.body.conflict_id > 0
    upserts = {c.case_id: c for c in by_type[ChangeType.case_upsert]}
    assert set(upserts) == {corrected, assigned}
    sent_back = upserts[corrected]
    assert isinstance(sent_back, CaseUpsert) and sent_back.body.correction is not None
    assert sent_back.body.correction.answers == ANSWERS
    assert sent_back.body.correction.comment == "consent was not read out"
    assert (sent_back.body.correction.questionnaire_id,
            sent_back.body.correction.questionnaire_version) == ("set", 1)
    assert upserts[assigned].body.correction is None
    announced = by_type[ChangeType.questionnaire_available][-1]  # version 1 came at seeding
    assert isinstance(announced, QuestionnaireAvailable)
    assert (announced.body.questionnaire_id, announced.body.version) == ("set", 2)


def _with_unknown_keys(change: dict[str, Any]) -> dict[str, Any]:
    """The change as a newer server might send it: an extra key in every object of the
    contract (not inside answers, which are the respondent's own names)."""
    change = copy.deepcopy(change)
    change["from_the_future"] = 1
    body = change["body"]
    body["from_the_future"] = {"nested": True}
    for attempt in body.get("attempts", []):
        attempt["from_the_future"] = "x"
    for key in ("appointment", "correction"):
        if isinstance(body.get(key), dict):
            body[key]["from_the_future"] = [1, 2]
    return change


def test_this_desktop_reads_the_page_and_ignores_keys_it_does_not_know(run) -> None:  # noqa: ANN001
    _, raw, _ = run
    page = PulledPage.model_validate(raw)
    assert not [c for c in page.changes if isinstance(c, UnreadableChange)]
    newer = PulledPage.model_validate({**raw, "from_the_future": True,
                                       "changes": [_with_unknown_keys(c)
                                                   for c in raw["changes"]]})
    assert newer == page


def test_the_release_before_reads_everything_it_needs(run) -> None:  # noqa: ANN001
    _, raw, (moved, corrected, _) = run
    page = OldPullResponse.model_validate(raw)
    assert {c.type for c in page.changes} <= OLD_KNOWN_TYPES
    readings = [(c.type, c.case_id, old_reading(c)) for c in page.changes]
    for kind, _case, reading in readings:
        if kind != "case_upsert":
            assert None not in reading.values(), (kind, reading)
    # the old store reopens a case for correction from the case view's correction alone
    [sent_back] = [r for k, case, r in readings if k == "case_upsert" and case == corrected]
    assert sent_back["answers"] == ANSWERS and sent_back["version_uuid"]
    assert sent_back["comment"] == "consent was not read out"
    assert any(k == "conflict_notice" and case == moved for k, case, _ in readings)


def test_the_sync_engine_applies_the_feed(run) -> None:  # noqa: ANN001
    made, _, (moved, corrected, assigned) = run
    report = made.engine.run_cycle()
    assert report.ok, report.errors
    store = made.store
    assert store.get_case(moved).state == "revoked"
    assert store.get_case(corrected).correction is not None
    draft = store.open_draft(corrected)
    assert draft is not None and draft.answers == ANSWERS
    assert store.get_case(assigned).state == "active"
    assert ("set", 2) not in store.questionnaires_to_fetch()  # fetched in the same cycle
    assert store.questionnaire("set", 2) is not None
    assert not [e for e in store.sync_log() if "could not be read" in e.message]
