"""The sync engine: one cycle hello → push → pull → questionnaires → claim → ack → purge.

A store that never pulled (a new PC, a reinstall) first takes a snapshot of what the
enumerator holds now and pulls from its cursor; a pull answered ``cursor_ahead`` (the server
was restored from a backup) takes a fresh snapshot that replaces the local view.

Synchronous, one cycle at a time (a lock); the desktop runs it on a worker thread. Every step
is safe to repeat: pushed items carry their own uuids (the server answers a replay with
``duplicate``), pull pages are applied together with their cursor (G6), and a claim's
request_uuid is committed in the local store *before* the request and cleared only together
with the granted cases, so a reply lost on the way is answered with the same grant when the
claim is retried. A grant whose ack failed is acknowledged again by the next cycle.

Only counts and ids are logged, never names, phone numbers or tokens.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from cati_app.client.api import ApiClient, ApiError, AuthExpired, RequestRejected
from cati_app.client.backoff import Backoff
from cati_app.core.clock import Clock
from cati_app.core.protocol import (
    CURSOR_AHEAD,
    MAX_ITEMS_PER_BATCH,
    Hello,
    ItemResult,
    PushItem,
    PushRequest,
    QueueCase,
    ReceivedChange,
)

__all__ = ["Backoff", "PendingAck", "SyncEngine", "SyncReport", "ack_file_for",
           "next_sync_delay"]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
#: room left in a batch for the request around the items (device_id, batch_uuid, brackets)
ENVELOPE_BYTES = 1024
MAX_PULL_PAGES = 10_000
MAX_CLAIM_CASES = 500


class SyncStore(Protocol):
    """What the engine needs of cati_app.client.store.LocalStore."""

    def pending_count(self) -> int: ...
    def outbox_batch(self, max_items: int, max_bytes: int) -> list[Any]: ...
    def settle(self, results: list[ItemResult]) -> None: ...
    def claim_request_uuid(self) -> str: ...
    def store_claim(self, grant_id: str, cases: list[QueueCase]) -> None: ...
    def apply_changes(self, changes: list[ReceivedChange], next_cursor: str) -> None: ...
    def apply_snapshot(self, cases: list[QueueCase], cursor: str, *, reset: bool) -> None: ...
    def has_cursor(self) -> bool: ...
    def cursor(self) -> str: ...
    def questionnaires_to_fetch(self) -> list[tuple[str, int]]: ...
    def save_questionnaire(self, definition: dict[str, Any]) -> Any: ...
    def set_server_clock_offset(self, seconds: float) -> None: ...
    def server_rules(self) -> dict[str, Any] | None: ...
    def set_calling_rules(self, rules: dict[str, Any], version: int) -> None: ...
    def record_sync(self, ok: bool, message: str, at: datetime) -> None: ...
    def purge_contact_details(self, now: datetime) -> int: ...
    def active_case_count(self) -> int: ...


@dataclass
class SyncReport:
    pushed: int = 0
    pulled: int = 0
    claimed: int = 0
    errors: list[str] = field(default_factory=list)
    ok: bool = True
    #: another cycle was running; this one did nothing
    skipped: bool = False
    #: the server asked to wait this long (429 or 503 with Retry-After)
    retry_after: float | None = None


def ack_file_for(database_path: Path) -> Path:
    """Where the grant awaiting acknowledgement is kept: right beside the local database."""
    return database_path.with_name(database_path.name + ".ack.json")


class PendingAck:
    """The grant whose cases are stored locally but not yet acknowledged to the server, in a
    small JSON file written atomically (write, fsync, rename), so a failed or interrupted ack
    is sent again by the next cycle, even after a restart. Without a file it lives in memory
    (un-acked cases then simply return to the pool after the server's delivery timeout)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: dict[str, Any] = {}

    def get(self) -> tuple[str, list[int]] | None:
        data = self._load()
        try:
            return str(data["grant_id"]), [int(c) for c in data["case_ids"]]
        except (KeyError, TypeError, ValueError):
            return None

    def set(self, grant_id: str, case_ids: list[int]) -> None:
        self._save({"grant_id": grant_id, "case_ids": case_ids})

    def clear(self) -> None:
        self._save({})

    def _load(self) -> dict[str, Any]:
        if self.path is None:
            return dict(self._memory)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # a damaged file costs only this ack: the cases return to the pool in time
            log.warning("pending ack file unreadable; ignoring it")
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, Any]) -> None:
        if self.path is None:
            self._memory = dict(data)
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


class SyncEngine:
    def __init__(self, store: SyncStore, api: ApiClient, clock: Clock, *, device_id: str,
                 target_queue_size: int = 30, ack_file: Path | None = None,
                 pull_limit: int = 200) -> None:
        self.store = store
        self.api = api
        self.clock = clock
        self.device_id = device_id
        self.target_queue_size = target_queue_size
        self.pull_limit = pull_limit
        self.pending_ack = PendingAck(ack_file)
        self._lock = threading.Lock()

    def run_cycle(self, progress: Progress | None = None) -> SyncReport:
        if not self._lock.acquire(blocking=False):
            return SyncReport(ok=False, skipped=True, errors=["a sync is already running"])
        try:
            return self._run_locked(progress or _no_progress)
        finally:
            self._lock.release()

    def _run_locked(self, progress: Progress) -> SyncReport:
        report = SyncReport()
        try:
            hello = self._hello()
            self._take_rules(hello, report)
            report.pushed = self._push_outbox(hello, progress)
            report.pulled = self._pull_changes(progress)
            self._fetch_questionnaires(report, progress)
            report.claimed = self._claim_and_ack(progress)
            # again: newly claimed cases may need a script this device has not got yet, and
            # the enumerator may be offline before the next cycle
            self._fetch_questionnaires(report, progress)
        except AuthExpired as exc:
            self.store.record_sync(False, f"log in again: {exc}", self.clock.now())
            raise
        except ApiError as exc:
            report.ok = False
            report.errors.append(str(exc))
            report.retry_after = getattr(exc, "retry_after", None)
        purged = self.store.purge_contact_details(self.clock.now())
        self.store.record_sync(report.ok, _summary(report, purged), self.clock.now())
        log.info("sync cycle: ok=%s pushed=%d pulled=%d claimed=%d purged=%d", report.ok,
                 report.pushed, report.pulled, report.claimed, purged)
        return report

    # --- steps ---------------------------------------------------------------------------

    def _hello(self) -> Hello:
        sent = self.clock.now()
        hello = self.api.hello()
        received = self.clock.now()
        # the server read its clock about halfway through the round trip
        midpoint = sent + (received - sent) / 2
        self.store.set_server_clock_offset((hello.server_time - midpoint).total_seconds())
        return hello

    def _take_rules(self, hello: Hello, report: SyncReport) -> None:
        """Plan with the server's calling rules from now on, when they changed (an admin's
        change reaches every desktop at its next sync, without reinstalling)."""
        doc = hello.calling_rules
        if doc is None or self.store.server_rules() == doc.model_dump(mode="json"):
            return
        try:
            self.store.set_calling_rules(doc.rules, doc.version)
        except ValueError as exc:
            # a newer server's rules: keep planning with the ones we have, and say so
            report.errors.append(f"the server's calling rules (version {doc.version}) are "
                                 f"not readable by this version of the app ({exc}); update "
                                 "the app")
            return
        log.info("calling rules version %d taken", doc.version)

    def _push_outbox(self, hello: Hello, progress: Progress) -> int:
        max_items = max(1, min(hello.max_items_per_batch, MAX_ITEMS_PER_BATCH))
        # the store counts each item's compact JSON; leave room for the request around them
        max_bytes = max(1, hello.max_batch_bytes - ENVELOPE_BYTES)
        total = self.store.pending_count()
        settled = 0
        progress("push", 0, total)
        while True:
            batch = self.store.outbox_batch(max_items, max_bytes)
            if not batch:
                return settled
            done = self._push_batch(batch)
            settled += done
            progress("push", settled, total)
            if done == 0:
                # everything in this batch was "retry later": stop until the next cycle
                return settled

    def _push_batch(self, batch: list[Any]) -> int:
        request = PushRequest(device_id=self.device_id, batch_uuid=uuid.uuid4(),
                              items=[_push_item(item) for item in batch])
        response = self.api.push(request)
        sent = {str(item.item_uuid) for item in request.items}
        results = [r for r in response.results if str(r.item_uuid) in sent]
        self.store.settle(results)
        return sum(1 for r in results if r.status.settled)

    def _pull_changes(self, progress: Progress) -> int:
        if not self.store.has_cursor():
            # a new PC or a reinstall: start from what the enumerator holds now, not from the
            # start of the feed (which would bring back cases closed since, issue 10)
            self._take_snapshot(reset=False)
        try:
            return self._pull_pages(progress)
        except RequestRejected as exc:
            if exc.status != 409 or exc.error != CURSOR_AHEAD:
                raise
            # our cursor is beyond the server's feed: it was restored from a backup
            log.warning("pull: cursor ahead of the server's feed; taking a fresh snapshot")
            self._take_snapshot(reset=True)
            return self._pull_pages(progress)

    def _take_snapshot(self, *, reset: bool) -> None:
        try:
            snapshot = self.api.snapshot(self.device_id)
        except RequestRejected as exc:
            if exc.status != 404 or reset:
                raise
            log.info("snapshot: the server has none; pulling the feed from its start")
            return  # an older server: the cursor stays empty and the pull starts at 0
        self.store.apply_snapshot(snapshot.cases, snapshot.cursor, reset=reset)

    def _pull_pages(self, progress: Progress) -> int:
        pulled = 0
        cursor = self.store.cursor()
        for _page in range(MAX_PULL_PAGES):
            page = self.api.pull(cursor, self.pull_limit)
            self.store.apply_changes(page.changes, page.next_cursor)
            pulled += len(page.changes)
            progress("pull", pulled, pulled)
            if not page.has_more or page.next_cursor == cursor:
                break
            cursor = page.next_cursor
        return pulled

    def _fetch_questionnaires(self, report: SyncReport, progress: Progress) -> None:
        wanted = self.store.questionnaires_to_fetch()
        for done, (qid, version) in enumerate(wanted, start=1):
            try:
                self.store.save_questionnaire(self.api.questionnaire(qid, version))
            except RequestRejected as exc:
                # one missing script must not stop the rest of the cycle
                report.ok = False
                report.errors.append(f"questionnaire {qid} version {version}: {exc}")
            progress("questionnaires", done, len(wanted))

    def _claim_and_ack(self, progress: Progress) -> int:
        self._ack_pending()
        wanted = min(self.target_queue_size - self.store.active_case_count(), MAX_CLAIM_CASES)
        if wanted <= 0:
            return 0
        progress("claim", 0, wanted)
        # Saved in the store before the call and cleared by store_claim in the same
        # transaction as the cases: a reply lost on the way is answered with the same grant.
        request_uuid = self.store.claim_request_uuid()
        grant = self.api.claim(request_uuid, self.device_id, wanted)
        self.store.store_claim(grant.grant_id, grant.cases)
        self.pending_ack.set(grant.grant_id, [c.case_id for c in grant.cases])
        self._ack_pending()
        progress("claim", len(grant.cases), wanted)
        return len(grant.cases)

    def _ack_pending(self) -> None:
        pending = self.pending_ack.get()
        if pending is None:
            return
        grant_id, case_ids = pending
        if case_ids:
            try:
                self.api.ack(grant_id, case_ids)
            except RequestRejected as exc:
                if exc.status != 403:
                    raise
                # the grant belongs to another device (a copied ack file): asking again never
                # helps, and the cases go back to the pool at the delivery deadline
                log.warning("ack of grant %s refused: %s", grant_id, exc)
        self.pending_ack.clear()


def next_sync_delay(report: SyncReport, backoff: Backoff, interval: float) -> float:
    """Seconds until the automatic sync runs again: the regular interval after a good (or
    skipped) cycle, else the backoff's jittered delay, never sooner than the server asked."""
    if report.ok or report.skipped:
        if report.ok:
            backoff.reset()
        return interval
    return backoff.next_delay(report.retry_after)


def _push_item(item: Any) -> PushItem:
    return PushItem(item_uuid=item.item_uuid, kind=item.kind, case_id=item.case_id,
                    assignment_version=item.assignment_version, payload=item.payload)


def _summary(report: SyncReport, purged: int) -> str:
    text = f"sent {report.pushed}, received {report.pulled} changes, claimed {report.claimed}"
    if purged:
        text += f", cleared contact details of {purged} finished cases"
    if report.errors:
        text += "; " + "; ".join(report.errors)
    return text


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None
