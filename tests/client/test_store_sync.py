"""LocalStore as the sync engine uses it: outbox batches and settling, claims, the change feed
(G6: page and cursor in one transaction; a page applied twice changes nothing), purging."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from cati_app.client.store import LocalStore
from cati_app.core.protocol import (
    AttemptSummary,
    ChangeType,
    Correction,
    ItemResult,
    ItemStatus,
    ReceivedChange,
)
from cati_app.core.questionnaire import Questionnaire
from tests.client.helpers import COMPLETE_ANSWERS, TUESDAY_10AM, queue_case

T0 = TUESDAY_10AM
Claim = Callable[..., list[int]]


def _busy(store: LocalStore, case_id: int, minutes: int = 0) -> str:
    at = T0 + timedelta(minutes=minutes)
    return store.record_attempt(case_id, outcome="busy", phone_index=0, started_at=at,
                                ended_at=at)


def _result(item: str, status: ItemStatus, detail: str = "") -> ItemResult:
    return ItemResult(item_uuid=uuid.UUID(item), status=status, detail=detail)


def _table(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


_RECEIVED = TypeAdapter[ReceivedChange](ReceivedChange)


def _change(seq: int, change_type: ChangeType, case: int | None = None,
            assignment_version: int | None = None, **body: Any) -> ReceivedChange:
    return _received(seq, change_type, case, assignment_version, body)


def _received(seq: int, change_type: ChangeType, case: int | None,
              assignment_version: int | None, body: dict[str, Any]) -> ReceivedChange:
    """A change read as the client reads a pull page (a body it cannot read: unreadable)."""
    return _RECEIVED.validate_python({"seq": seq, "type": change_type.value, "case_id": case,
                                      "assignment_version": assignment_version, "body": body})


def _upsert(seq: int, case_id: int, **fields: Any) -> ReceivedChange:
    case = queue_case(case_id, **fields)
    return _received(seq, ChangeType.case_upsert, case_id, case.assignment_version,
                     case.model_dump(mode="json"))


# --- outbox ----------------------------------------------------------------------------------

def test_outbox_batch_is_oldest_first_within_limits(store: LocalStore, claim: Claim) -> None:
    claim(1)
    items = [_busy(store, 1, minutes=m) for m in range(5)]
    assert [i.item_uuid for i in store.outbox_batch(3, 10**6)] == items[:3]
    first = store.outbox_batch(1, 10**6)[0]
    one_size = len(json.dumps({"item_uuid": first.item_uuid, "kind": first.kind,
                               "case_id": 1, "assignment_version": 1,
                               "payload": first.payload}))
    assert len(store.outbox_batch(10, int(2.5 * one_size))) == 2
    # an item larger than the byte limit still goes alone, so it cannot block the outbox
    assert [i.item_uuid for i in store.outbox_batch(10, 1)] == items[:1]


def test_settle_removes_settled_keeps_rejected_and_counts_retries(
        store: LocalStore, claim: Claim, store_path: Path) -> None:
    claim(1)
    stored, duplicate, conflict, invalid, reuse, later = (_busy(store, 1, m) for m in range(6))
    results = [_result(stored, ItemStatus.stored), _result(duplicate, ItemStatus.duplicate),
               _result(conflict, ItemStatus.stored_conflict),
               _result(invalid, ItemStatus.rejected_invalid, "phone_index out of range"),
               _result(reuse, ItemStatus.rejected_uuid_reuse, "different content"),
               _result(later, ItemStatus.retry_later, "database busy")]
    store.settle(results)
    store.settle(results)  # a replayed reply changes nothing more
    [left] = store.outbox_batch(10, 10**6)
    assert left.item_uuid == later and left.attempts == 2
    assert store.pending_count() == 1
    rejected = _table(store_path, "SELECT item_uuid, status, detail, payload FROM rejected "
                                  "ORDER BY status")
    assert [(r[0], r[1], r[2]) for r in rejected] == [
        (invalid, "rejected_invalid", "phone_index out of range"),
        (reuse, "rejected_uuid_reuse", "different content")]
    assert all('"outcome": "busy"' in r[3] for r in rejected)
    log = [e.message for e in store.sync_log()]
    assert any("refused" in m and "phone_index out of range" in m for m in log)
    assert any("conflict" in m for m in log)
    pending = {a.attempt_uuid: a.pending for a in store.get_case(1).attempts}
    assert pending[later] and not pending[stored] and not pending[invalid]


# --- claims ----------------------------------------------------------------------------------

def test_store_claim_is_idempotent_and_keeps_contact_details(store: LocalStore) -> None:
    history = [AttemptSummary(started_at=T0 - timedelta(days=1), outcome="no_answer",
                              aapor_code="3.13", phone_index=0, enumerator="pema")]
    case = queue_case(5, attempts=history, priority=80)
    store.store_claim("g1", [case])
    first = store.get_case(5)
    store.store_claim("g1", [case])
    assert store.get_case(5) == first
    assert first.respondent_name == "Respondent 5"
    assert first.phones == ("+97517123456", "+97577123456")
    assert [a.outcome for a in first.attempts] == ["no_answer"]
    assert not first.attempts[0].pending and first.attempts[0].enumerator == "pema"
    assert first.state == "active" and store.active_case_count() == 1


def test_claim_request_uuid_survives_until_the_claim_is_stored(store: LocalStore) -> None:
    request = store.claim_request_uuid()
    assert store.claim_request_uuid() == request  # a retry reuses it
    store.store_claim("g1", [queue_case(1)])
    assert store.claim_request_uuid() != request


# --- the change feed ---------------------------------------------------------------------------

def test_apply_changes_twice_changes_nothing(store: LocalStore, claim: Claim,
                                            store_path: Path) -> None:
    claim(1, 2)
    page = [_upsert(1, 1, assignment_version=1, priority=99),
            _change(2, ChangeType.case_revoked, 2, 2, reason="reassigned to pema"),
            _change(3, ChangeType.conflict_notice, 1, 1, conflict_id=4, kind="double",
                    description="two completions"),
            _change(4, ChangeType.questionnaire_available, questionnaire_id="set", version=2)]
    store.apply_changes(page, "4")
    snapshot = [_table(store_path, f"SELECT * FROM {t}")
                for t in ("cases", "attempts", "interviews", "sync_log", "questionnaires")]
    store.apply_changes(page, "4")
    assert [_table(store_path, f"SELECT * FROM {t}")
            for t in ("cases", "attempts", "interviews", "sync_log", "questionnaires")] == snapshot
    assert store.cursor() == "4"
    assert store.get_case(1).priority == 99
    assert store.get_case(2).state == "revoked"
    assert any("conflict: two completions" in e.message for e in store.sync_log())
    # announced version 2, and version 1 that the cases use
    assert store.questionnaires_to_fetch() == [("set", 1), ("set", 2)]


def test_cursor_starts_at_zero(store: LocalStore) -> None:
    assert store.cursor() == "0"


def test_page_and_cursor_commit_together(store: LocalStore, claim: Claim,
                                         store_path: Path) -> None:
    """G6: when storing the cursor fails, the page is not applied either."""
    claim(1)
    with sqlite3.connect(store_path) as db:
        db.execute("CREATE TRIGGER no_cursor BEFORE INSERT ON meta WHEN NEW.key = 'cursor' "
                   "BEGIN SELECT RAISE(ABORT, 'power cut'); END")
    with pytest.raises(Exception, match="power cut"):
        store.apply_changes([_upsert(1, 1, priority=5), _upsert(2, 2)], "2")
    assert store.get_case(1).priority == 50
    assert store.active_case_count() == 1 and store.cursor() == "0"
    with sqlite3.connect(store_path) as db:
        db.execute("DROP TRIGGER no_cursor")
    store.apply_changes([_upsert(1, 1, priority=5), _upsert(2, 2)], "2")
    assert store.get_case(1).priority == 5 and store.cursor() == "2"


def test_stale_upsert_is_ignored(store: LocalStore, claim: Claim) -> None:
    claim(queue_case(1, assignment_version=3))
    store.apply_changes([_upsert(1, 1, assignment_version=2, respondent_name="Old")], "1")
    assert store.get_case(1).respondent_name == "Respondent 1"


def test_malformed_change_is_logged_and_the_rest_applied(store: LocalStore) -> None:
    store.apply_changes([_change(1, ChangeType.case_upsert, 9, 1, service_code="X"),
                         _upsert(2, 3)], "2")
    assert store.active_case_count() == 1 and store.cursor() == "2"
    assert any("case 9 could not be read" in e.message for e in store.sync_log())


def test_revoked_case_keeps_its_draft_and_pending_items(
        store: LocalStore, claim: Claim, questionnaire: Questionnaire) -> None:
    claim(1)
    item = _busy(store, 1)
    draft = store.start_interview(1, questionnaire=questionnaire, language="en",
                                  started_at=T0, phone_index=0)
    store.save_answer(draft.interview_uuid, "consent", "yes", current_item="availed")
    store.apply_changes([_change(1, ChangeType.case_revoked, 1, 2, reason="reassigned")], "1")
    case = store.get_case(1)
    assert case.state == "revoked" and store.queue(T0) == []
    assert [i.item_uuid for i in store.outbox_batch(10, 10**6)] == [item]
    assert store.open_draft(1).answers == {"consent": "yes"}
    assert store.purge_contact_details(T0) == 0  # work still here: details stay
    # the answers can still be finished and uploaded (the server flags the stale work)
    store.finish_interview(draft.interview_uuid, ended_at=T0)
    [first, second] = store.outbox_batch(10, 10**6)
    assert second.kind == "interview_version" and second.assignment_version == 1
    # a new grant (version 3) brings the case back; the old revocation replayed does not
    store.store_claim("g9", [queue_case(1, assignment_version=3)])
    store.apply_changes([_change(1, ChangeType.case_revoked, 1, 2, reason="reassigned")], "1")
    assert store.get_case(1).state == "done"  # our finished interview is still pending


def test_interview_rejected_reopens_with_a_prefilled_correction_draft(
        store: LocalStore, claim: Claim, questionnaire: Questionnaire) -> None:
    claim(1)
    draft = store.start_interview(1, questionnaire=questionnaire, language="en",
                                  started_at=T0, phone_index=1)
    for name, value in COMPLETE_ANSWERS.items():
        store.save_answer(draft.interview_uuid, name, value, current_item=name)
    store.finish_interview(draft.interview_uuid, ended_at=T0)
    [pushed] = store.outbox_batch(1, 10**6)
    version = pushed.payload["version_uuid"]
    store.settle([_result(pushed.item_uuid, ItemStatus.stored)])
    answers = {**COMPLETE_ANSWERS, "acc_info": "1"}
    # as servers sent corrections before they travelled in the case's view
    rejection = _change(7, ChangeType.interview_rejected, 1, 1,
                        interview_uuid=draft.interview_uuid, version_uuid=version,
                        answers=answers, comment="acc_info was misheard")
    store.apply_changes([rejection], "7")
    case = store.get_case(1)
    assert case.state == "active" and case.correction is not None
    assert case.correction.comment == "acc_info was misheard"
    assert [c.case_id for c in store.queue(T0)] == [1]
    fix = store.open_draft(1)
    assert fix is not None and fix.answers == answers
    assert fix.base_version_uuid == version and fix.interview_uuid == draft.interview_uuid
    assert fix.phone_index == 1
    store.apply_changes([rejection], "7")
    store.apply_changes([rejection.model_copy(update={"seq": 8})], "8")  # re-sent: still one
    assert store.open_draft(1) == fix
    store.save_answer(fix.interview_uuid, "acc_info", "2", current_item=None)
    store.finish_interview(fix.interview_uuid, ended_at=T0 + timedelta(hours=1))
    [corrected] = store.outbox_batch(1, 10**6)
    assert corrected.payload["base_version_uuid"] == version
    assert corrected.payload["interview_uuid"] == draft.interview_uuid
    assert corrected.payload["version_uuid"] != version
    assert corrected.payload["answers"]["acc_info"] == "2"
    assert store.get_case(1).state == "done" and store.get_case(1).correction is None


def test_correction_in_the_case_view_reopens_the_case_once(
        store: LocalStore, claim: Claim) -> None:
    """How the server sends a correction: in the case's view, which every later view of the
    case repeats until the corrected version arrives; one draft however often it comes."""
    claim(1)
    rejected = Correction(interview_uuid=str(uuid.uuid4()), version_uuid=str(uuid.uuid4()),
                          answers={"consent": "yes"}, comment="check consent",
                          questionnaire_id="set", questionnaire_version=1)
    store.apply_changes([_upsert(1, 1, correction=rejected)], "1")
    case = store.get_case(1)
    assert case.state == "active" and case.correction is not None
    assert case.correction.comment == "check consent"
    draft = store.open_draft(1)
    assert draft is not None and draft.base_version_uuid == rejected.version_uuid
    assert draft.interview_uuid == rejected.interview_uuid and draft.answers == {"consent": "yes"}
    store.apply_changes([_upsert(2, 1, correction=rejected, priority=90)], "2")
    assert store.open_draft(1) == draft and store.get_case(1).priority == 90


def test_claimed_case_with_correction_gets_a_draft(store: LocalStore) -> None:
    rejected = str(uuid.uuid4())
    store.store_claim("g1", [queue_case(4, correction={
        "version_uuid": rejected, "interview_uuid": str(uuid.uuid4()),
        "answers": {"consent": "yes"}, "comment": "check consent"})])
    draft = store.open_draft(4)
    assert draft is not None and draft.base_version_uuid == rejected
    assert draft.answers == {"consent": "yes"}


def test_upsert_keeps_pending_attempts_without_doubling_them(store: LocalStore,
                                                             claim: Claim) -> None:
    claim(1)
    item = _busy(store, 1)
    echo = AttemptSummary(started_at=T0, outcome="busy", aapor_code="3.12", phone_index=0)
    older = AttemptSummary(started_at=T0 - timedelta(days=1), outcome="no_answer",
                           aapor_code="3.13", phone_index=0)
    store.apply_changes([_upsert(1, 1, attempts=[older, echo])], "1")
    attempts = store.get_case(1).attempts
    assert [(a.outcome, a.pending) for a in attempts] == [("no_answer", False), ("busy", True)]
    assert attempts[1].attempt_uuid == item


def test_purge_only_when_nothing_is_pending(store: LocalStore, claim: Claim) -> None:
    claim(1, 2, 3)
    done_item = store.record_attempt(1, outcome="deceased", phone_index=0, started_at=T0,
                                     ended_at=T0, note="family said so")
    store.release_case(2, "abroad")
    assert store.purge_contact_details(T0) == 0  # both still waiting to upload
    store.settle([_result(done_item, ItemStatus.stored)])
    assert store.purge_contact_details(T0) == 1
    assert store.purge_contact_details(T0) == 0
    purged = store.get_case(1)
    assert purged.respondent_name == "" and purged.phones == ()
    assert purged.attempts[0].outcome == "deceased"  # the history stays
    assert store.get_case(2).respondent_name == "Respondent 2"
    assert store.get_case(3).phones  # active: never purged


# --- small settings ------------------------------------------------------------------------------

def test_clock_offset_and_sync_log(store: LocalStore) -> None:
    assert store.server_clock_offset() == 0.0 and store.last_successful_sync() is None
    store.set_server_clock_offset(-2.5)
    assert store.server_clock_offset() == -2.5
    store.record_sync(False, "server unreachable", T0)
    assert store.last_successful_sync() is None
    store.record_sync(True, "pushed 3, pulled 1", T0 + timedelta(minutes=5))
    assert store.last_successful_sync() == T0 + timedelta(minutes=5)
    entries = store.sync_log()
    assert [(e.level, e.message) for e in entries] == [
        ("info", "pushed 3, pulled 1"), ("error", "server unreachable")]
    assert entries[0].at.tzinfo is not None
    assert len(store.sync_log(limit=1)) == 1


def test_save_questionnaire_validates(store: LocalStore, questionnaire: Questionnaire) -> None:
    with pytest.raises(ValueError, match="invalid questionnaire"):
        store.save_questionnaire({"id": "x"})
    assert store.questionnaire("set", 1) is None
    store.save_questionnaire(questionnaire.model_dump(mode="json"))
    assert store.questionnaire("set", 1) == questionnaire
