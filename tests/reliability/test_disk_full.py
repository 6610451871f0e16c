"""The client's disk fills up, or its database turns read-only, while work is being saved
(issue 6; G1, G2). Every save must then fail with a StoreError saying what to do, leave nothing
half-written (a domain row without its outbox item, or the reverse; a cursor moved past a page
not applied), and work again as soon as space returns.

A full disk is SQLite's own ``PRAGMA max_page_count`` on every connection of the store's engine
(the file may not grow); read-only is ``PRAGMA query_only`` (root ignores file modes, and a
tmpfs needs a mount). Both reach the store exactly as the real failures do: as SQLITE_FULL and
SQLITE_READONLY from the statement or the commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from cati_app.client.store import LocalStore, StoreError
from cati_app.core.clock import FixedClock
from cati_app.core.protocol import MAX_ANSWER_CHARS, ConflictNotice, ConflictNoticeBody
from cati_app.core.questionnaire import default_questionnaire
from tests.client.helpers import COMPLETE_ANSWERS, TUESDAY_10AM, USERNAME, queue_case

#: what a person reading the error must be told to do, per fault
ADVICE = {"disk full": "free some disk space", "read-only": "read-only"}
#: each save below carries a value longer than a page, so it needs a new (overflow) page; the
#: file has no free pages, so with max_page_count at its size that page cannot be had
PAGE = 4096
NOTE = "n" * 3999  # the longest note a call may carry
BIG = "b" * 50 * PAGE


class Fault:
    """Switch a fault on the store's connections on and off (new connections pick it up)."""

    def __init__(self, store: LocalStore, kind: str) -> None:
        self.engine = store._engine  # noqa: SLF001 - the only way in for a pragma per connection
        self.kind = kind
        self.on = False
        event.listen(self.engine, "connect", self._apply)

    def _apply(self, dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        if not self.on:
            return
        cursor = dbapi_conn.cursor()
        if self.kind == "disk full":
            pages = cursor.execute("PRAGMA page_count").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages + 1}")
        else:
            cursor.execute("PRAGMA query_only = 1")
        cursor.close()

    def set(self, on: bool) -> None:
        self.on = on
        self.engine.dispose()  # pooled connections were made under the other setting


@pytest.fixture(params=["disk full", "read-only"])
def faulty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[LocalStore, Fault]]:
    store = LocalStore.open(tmp_path / "local.sqlite3", username=USERNAME,
                            clock=FixedClock(TUESDAY_10AM))
    store.store_claim("grant-1", [queue_case(1), queue_case(2)])
    store.save_questionnaire(default_questionnaire().model_dump(mode="json"))
    yield store, Fault(store, request.param)
    store.close()


def _counts(path: Path) -> tuple[int, int, int, int]:
    """(attempts made here, outbox items, finished interviews, interview items)."""
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return db.execute(
            "SELECT (SELECT count(*) FROM attempts WHERE item_uuid IS NOT NULL), "
            "(SELECT count(*) FROM outbox), "
            "(SELECT count(*) FROM interviews WHERE status = 'finished'), "
            "(SELECT count(*) FROM outbox WHERE kind = 'interview_version')").fetchone()


def _attempt(store: LocalStore, note: str) -> str:
    at = TUESDAY_10AM - timedelta(minutes=5)
    return store.record_attempt(1, outcome="no_answer", phone_index=0, started_at=at,
                                ended_at=at + timedelta(minutes=1), note=note)


def test_a_failing_disk_gives_a_clear_error_leaves_nothing_half_written_and_recovers(
        faulty: tuple[LocalStore, Fault], tmp_path: Path) -> None:
    store, fault = faulty
    path = tmp_path / "local.sqlite3"
    draft = store.start_interview(2, questionnaire=default_questionnaire(), language="en",
                                  started_at=TUESDAY_10AM, phone_index=0)
    # two answers as long as the server allows (issue 11): the finished interview needs
    # more than the one page the full disk has left
    long_answers = {"comment": "c" * MAX_ANSWER_CHARS, "other_comment": "o" * MAX_ANSWER_CHARS}
    for name, value in {**COMPLETE_ANSWERS, **long_answers}.items():
        store.save_answer(draft.interview_uuid, name, value, current_item=name)
    before = _counts(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA freelist_count").fetchone() == (0,)
    cursor = store.cursor()

    fault.set(True)
    for save in (lambda: _attempt(store, NOTE),
                 lambda: store.save_answer(draft.interview_uuid, "complaint_text", BIG,
                                           current_item="complaint_text"),
                 lambda: store.finish_interview(draft.interview_uuid, ended_at=TUESDAY_10AM),
                 lambda: store.apply_changes([_notice(1, BIG)], "1")):
        with pytest.raises(StoreError) as error:
            save()
        assert ADVICE[fault.kind] in str(error.value).lower()
        assert "kept" in str(error.value)  # what was saved before is safe: say so
    assert _counts(path) == before
    # reading takes no write lock: the enumerator still sees the queue and the saved work
    assert store.cursor() == cursor
    assert [c.case_id for c in store.queue(TUESDAY_10AM)] == [1, 2]
    assert store.open_draft(2).answers["comment"] == "c" * MAX_ANSWER_CHARS
    assert store.pending_count() == before[1]

    fault.set(False)
    assert store.cursor() == cursor
    assert store.open_draft(2) is not None and "complaint_text" not in store.open_draft(2).answers
    made = _attempt(store, NOTE)
    finished = store.finish_interview(draft.interview_uuid, ended_at=TUESDAY_10AM)
    store.apply_changes([_notice(1, "all well")], "1")
    assert _counts(path) == (before[0] + 2, before[1] + 2, 1, 1)
    assert {i.item_uuid for i in store.outbox_batch(10, 1 << 30)} == {made, finished}
    assert store.cursor() == "1"


def _notice(seq: int, text: str) -> ConflictNotice:
    return ConflictNotice(seq=seq, case_id=1,
                          body=ConflictNoticeBody(conflict_id=seq, kind="test", description=text))
