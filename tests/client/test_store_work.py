"""LocalStore: the enumerator's work — queue, attempts, interviews, releases — each one local
transaction whose domain row and outbox row commit together."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from cati_app.client.store import LocalStore, NotFound, StoreError
from cati_app.core.clock import FixedClock
from cati_app.core.protocol import ContactAttemptPayload, InterviewVersionPayload
from cati_app.core.questionnaire import Questionnaire
from tests.client.helpers import COMPLETE_ANSWERS, TUESDAY_10AM, USERNAME, queue_case

T0 = TUESDAY_10AM
Claim = Callable[..., list[int]]


def test_queue_orders_with_core_rules(store: LocalStore, claim: Claim) -> None:
    claim(queue_case(1, priority=10), queue_case(2, priority=90), queue_case(3, priority=50))
    store.record_attempt(3, outcome="busy", phone_index=0, started_at=T0 - timedelta(hours=1),
                         ended_at=T0 - timedelta(hours=1))
    # case 3: a retry due (busy 15 min ago) comes before fresh cases; fresh by priority
    assert [c.case_id for c in store.queue(T0)] == [3, 2, 1]
    store.release_case(2, "going on leave")
    assert [c.case_id for c in store.queue(T0)] == [3, 1]
    assert store.active_case_count() == 2


def test_get_case_unknown_says_what_to_do(store: LocalStore) -> None:
    with pytest.raises(NotFound, match="sync"):
        store.get_case(404)


def test_record_attempt_saves_attempt_plan_and_outbox_item(store: LocalStore,
                                                           claim: Claim) -> None:
    claim(7)
    item = store.record_attempt(7, outcome="no_answer", phone_index=0, started_at=T0,
                                ended_at=T0 + timedelta(minutes=1), note="rang out")
    case = store.get_case(7)
    [attempt] = case.attempts
    assert (attempt.attempt_uuid, attempt.outcome, attempt.aapor_code) == (item, "no_answer",
                                                                            "3.13")
    assert attempt.pending and attempt.enumerator == USERNAME and attempt.note == "rang out"
    assert case.last_outcome == "no_answer" and case.state == "active"
    assert case.next_call_at == T0 + timedelta(hours=3)  # the catalogue's 3 h retry
    [queued] = store.outbox_batch(10, 1_000_000)
    assert (queued.item_uuid, queued.kind, queued.case_id, queued.assignment_version) == (
        item, "contact_attempt", 7, 1)
    payload = ContactAttemptPayload.model_validate(queued.payload)
    assert payload.outcome == "no_answer" and payload.outcome_code == "3.13"
    assert payload.started_at == T0 and payload.phone_index == 0
    assert set(queued.payload) == {"started_at", "ended_at", "phone_index", "outcome",
                                   "outcome_code", "note", "appointment_at", "appointment_kind"}
    assert store.pending_count() == 1


def test_final_outcome_makes_the_case_done(store: LocalStore, claim: Claim) -> None:
    claim(1)
    store.record_attempt(1, outcome="hard_refusal", phone_index=0, started_at=T0,
                         ended_at=T0, note="do not call again")
    assert store.get_case(1).state == "done"
    assert store.queue(T0) == []


def test_wrong_number_moves_to_the_next_phone(store: LocalStore, claim: Claim) -> None:
    claim(1)
    store.record_attempt(1, outcome="wrong_number", phone_index=0, started_at=T0, ended_at=T0,
                         note="says he is someone else")
    assert store.get_case(1).next_phone_index == 1


def test_appointment_is_kept_on_the_case(store: LocalStore, claim: Claim) -> None:
    claim(1)
    at = T0 + timedelta(days=1)
    store.record_attempt(1, outcome="appointment", phone_index=1, started_at=T0, ended_at=T0,
                         appointment_at=at, appointment_kind="hard")
    case = store.get_case(1)
    assert case.appointment is not None
    assert (case.appointment.at, case.appointment.kind, case.appointment.booked_by) == (
        at, "hard", USERNAME)
    assert case.next_call_at == at
    payload = store.outbox_batch(1, 10**6)[0].payload
    assert payload["appointment_kind"] == "hard"
    assert payload["appointment_at"].startswith("2026-06-03T04:00")


@pytest.mark.parametrize(("outcome", "note", "extra", "message"), [
    ("complete", "", {}, "finish the interview"),
    ("break_off", "x", {}, "finish the interview"),
    ("hard_refusal", "  ", {}, "needs a note"),
    ("no_such", "", {}, "unknown outcome"),
    ("appointment", "", {}, "needs a time"),
    ("busy", "", {"appointment_at": T0, "appointment_kind": "soft"}, "does not book"),
])
def test_record_attempt_refuses_bad_input_and_saves_nothing(
        store: LocalStore, claim: Claim, outcome: str, note: str, extra: dict,
        message: str) -> None:
    claim(1)
    with pytest.raises(ValueError, match=message):
        store.record_attempt(1, outcome=outcome, phone_index=0, started_at=T0, ended_at=T0,
                             note=note, **extra)
    assert store.get_case(1).attempts == () and store.pending_count() == 0


def test_record_attempt_refuses_a_missing_phone_and_naive_times(store: LocalStore,
                                                                claim: Claim) -> None:
    claim(1)
    with pytest.raises(ValueError, match="number 3 does not exist"):
        store.record_attempt(1, outcome="busy", phone_index=2, started_at=T0, ended_at=T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.record_attempt(1, outcome="busy", phone_index=0, started_at=T0.replace(tzinfo=None),
                             ended_at=T0)


def test_outbox_failure_rolls_back_the_attempt(store: LocalStore, claim: Claim,
                                               store_path: Path) -> None:
    """Transactional outbox: when the outbox row cannot be written, the attempt is not kept
    either (a real SQLite trigger makes the insert fail)."""
    claim(1)
    with sqlite3.connect(store_path) as db:
        db.execute("CREATE TRIGGER no_outbox BEFORE INSERT ON outbox "
                   "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    with pytest.raises(Exception, match="disk says no"):
        store.record_attempt(1, outcome="busy", phone_index=0, started_at=T0, ended_at=T0)
    with sqlite3.connect(store_path) as db:
        assert db.execute("SELECT count(*) FROM attempts").fetchone() == (0,)
    case = store.get_case(1)
    assert case.attempts == () and case.next_call_at is None and store.pending_count() == 0


def test_outbox_failure_rolls_back_a_finished_interview(
        store: LocalStore, claim: Claim, store_path: Path, questionnaire: Questionnaire) -> None:
    claim(1)
    draft = store.start_interview(1, questionnaire=questionnaire, language="en",
                                  started_at=T0, phone_index=0)
    store.save_answer(draft.interview_uuid, "consent", "yes", current_item="availed")
    with sqlite3.connect(store_path) as db:
        db.execute("CREATE TRIGGER no_outbox BEFORE INSERT ON outbox "
                   "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
    with pytest.raises(Exception, match="disk says no"):
        store.finish_interview(draft.interview_uuid, ended_at=T0 + timedelta(minutes=5))
    # still an open draft with its answer, ready to finish again
    assert store.open_draft(1) == draft.__class__(**{**draft.__dict__,
                                                     "answers": {"consent": "yes"},
                                                     "current_item": "availed"})
    assert store.get_case(1).state == "active"


def test_interview_draft_saves_each_answer_and_resumes(
        store: LocalStore, claim: Claim, questionnaire: Questionnaire, store_path: Path,
        clock: FixedClock) -> None:
    claim(1)
    draft = store.start_interview(1, questionnaire=questionnaire, language="dz",
                                  started_at=T0, phone_index=1)
    store.save_answer(draft.interview_uuid, "consent", "yes", current_item="availed")
    store.save_answer(draft.interview_uuid, "availed", "yes", current_item="acc_info")
    store.save_answer(draft.interview_uuid, "availed", None, current_item="availed")
    store.set_current_item(draft.interview_uuid, "availed")
    store.close()
    reopened = LocalStore.open(store_path, username=USERNAME, clock=clock)
    again = reopened.start_interview(1, questionnaire=questionnaire, language="en",
                                     started_at=T0 + timedelta(hours=1), phone_index=0)
    assert again.interview_uuid == draft.interview_uuid
    assert (again.answers, again.current_item, again.language, again.phone_index) == (
        {"consent": "yes"}, "availed", "dz", 1)
    assert reopened.open_draft(1) == again
    assert reopened.open_draft(2) is None
    reopened.close()


def test_finish_interview_queues_a_version_and_closes_the_case(
        store: LocalStore, claim: Claim, questionnaire: Questionnaire) -> None:
    claim(1)
    draft = store.start_interview(1, questionnaire=questionnaire, language="en",
                                  started_at=T0, phone_index=0)
    for name, value in COMPLETE_ANSWERS.items():
        store.save_answer(draft.interview_uuid, name, value, current_item=name)
    end = T0 + timedelta(minutes=12)
    item = store.finish_interview(draft.interview_uuid, ended_at=end)
    [queued] = store.outbox_batch(10, 10**6)
    assert queued.item_uuid == item and queued.kind == "interview_version"
    payload = InterviewVersionPayload.model_validate(queued.payload)
    assert str(payload.interview_uuid) == draft.interview_uuid
    assert payload.base_version_uuid is None and payload.answers == COMPLETE_ANSWERS
    assert (payload.questionnaire_id, payload.questionnaire_version) == ("set", 1)
    assert payload.started_at == T0 and payload.ended_at == end
    assert queued.payload["phone_index"] == 0
    case = store.get_case(1)
    assert case.state == "done" and case.last_outcome == "complete"
    assert case.attempts[-1].aapor_code == "1.1" and case.attempts[-1].pending
    assert store.open_draft(1) is None
    with pytest.raises(ValueError, match="already finished"):
        store.save_answer(draft.interview_uuid, "consent", "no", current_item=None)


def test_finish_derives_break_off_and_refusal(store: LocalStore, claim: Claim,
                                              questionnaire: Questionnaire) -> None:
    claim(1, 2)
    first = store.start_interview(1, questionnaire=questionnaire, language="en",
                                  started_at=T0, phone_index=0)
    store.save_answer(first.interview_uuid, "consent", "yes", current_item="availed")
    store.finish_interview(first.interview_uuid, ended_at=T0)
    second = store.start_interview(2, questionnaire=questionnaire, language="en",
                                   started_at=T0, phone_index=0)
    store.save_answer(second.interview_uuid, "consent", "no", current_item=None)
    store.finish_interview(second.interview_uuid, ended_at=T0)
    assert store.get_case(1).last_outcome == "break_off"
    assert store.get_case(2).last_outcome == "hard_refusal"


def test_start_interview_checks_language_and_case(store: LocalStore, claim: Claim,
                                                  questionnaire: Questionnaire) -> None:
    claim(1)
    with pytest.raises(ValueError, match="no language 'fr'"):
        store.start_interview(1, questionnaire=questionnaire, language="fr", started_at=T0,
                              phone_index=0)
    store.release_case(1, "duplicate of another case")
    with pytest.raises(ValueError, match="finished"):
        store.start_interview(1, questionnaire=questionnaire, language="en", started_at=T0,
                              phone_index=0)


def test_finish_needs_the_questionnaire_on_the_device(
        store: LocalStore, claim: Claim, questionnaire: Questionnaire,
        store_path: Path) -> None:
    claim(1)
    draft = store.start_interview(1, questionnaire=questionnaire, language="en",
                                  started_at=T0, phone_index=0)
    assert store.questionnaire("set", 1) == questionnaire  # start_interview kept it
    with sqlite3.connect(store_path) as db:
        db.execute("UPDATE questionnaires SET definition = NULL")
    fresh = LocalStore.open(store_path, username=USERNAME, clock=FixedClock(T0))
    with pytest.raises(StoreError, match="sync, then finish"):
        fresh.finish_interview(draft.interview_uuid, ended_at=T0)
    assert fresh.questionnaires_to_fetch() == [("set", 1)]
    fresh.save_questionnaire(questionnaire.model_dump(mode="json"))
    assert fresh.questionnaires_to_fetch() == []
    fresh.finish_interview(draft.interview_uuid, ended_at=T0)
    fresh.close()


def test_release_case(store: LocalStore, claim: Claim, questionnaire: Questionnaire) -> None:
    claim(1, 2)
    item = store.release_case(1, "respondent abroad")
    [queued] = store.outbox_batch(10, 10**6)
    assert (queued.item_uuid, queued.kind, queued.payload) == (
        item, "case_release", {"reason": "respondent abroad"})
    assert store.get_case(1).state == "done"
    store.start_interview(2, questionnaire=questionnaire, language="en", started_at=T0,
                          phone_index=0)
    with pytest.raises(ValueError, match="finish it before releasing"):
        store.release_case(2, "no time")


def test_store_belongs_to_one_enumerator(store: LocalStore, store_path: Path,
                                         clock: FixedClock) -> None:
    with pytest.raises(StoreError, match="belongs to 'karma'"):
        LocalStore.open(store_path, username="pema", clock=clock)


def test_a_language_referral_names_the_language_and_leaves_the_queue(
        store: LocalStore, clock: FixedClock) -> None:
    """Issue 18: the call goes up with the respondent's language; the case leaves this
    device's queue at once (the server returns it to the pool for a speaker of it)."""
    store.store_claim("g", [queue_case(1), queue_case(2)])
    at = clock.now() - timedelta(minutes=2)
    with pytest.raises(ValueError, match="needs the respondent's language"):
        store.record_attempt(1, outcome="language_needed", phone_index=0, started_at=at,
                             ended_at=at)
    store.record_attempt(1, outcome="language_needed", phone_index=0, started_at=at,
                         ended_at=at, language="tsj")
    store.record_attempt(2, outcome="no_answer", phone_index=0, started_at=at, ended_at=at,
                         language="tsj")  # ignored with any other outcome
    case = store.get_case(1)
    assert (case.language, case.state) == ("tsj", "done")
    assert [item.case_id for item in store.queue(clock.now())] == [2]
    payloads = {item.case_id: item.payload for item in store.outbox_batch(10, 10**6)}
    assert payloads[1]["language"] == "tsj" and payloads[1]["outcome_code"] == "2.33"
    assert "language" not in payloads[2]
