"""LocalStore: the enumerator's local database (DESIGN.md §4, G1, G2, G3, G6).

Every public method is one local transaction, committed before it returns: what the UI shows
as saved survives a crash or a kill. The rules themselves live in cati_app.core; this class
only keeps their inputs and results."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import CursorResult, Engine, and_, exists, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from cati_app.client.store import incoming, outbox, records, work
from cati_app.client.store.database import READ_ONLY, StoreError, make_engine, migrate
from cati_app.client.store.models import (
    CaseRow,
    InterviewRow,
    Meta,
    OutboxRow,
    QuestionnaireRow,
    SyncLogRow,
)
from cati_app.client.store.records import ACTIVE, DONE, OPEN, REVOKED
from cati_app.client.store.views import (
    InterviewDraft,
    LocalCase,
    OutboxItem,
    QueueItem,
    SyncLogEntry,
)
from cati_app.core.clock import Clock, as_utc
from cati_app.core.protocol import ItemResult, QueueCase, ReceivedChange
from cati_app.core.questionnaire import Questionnaire, load_questionnaire
from cati_app.core.queue_order import order_queue
from cati_app.core.scheduling import CallingRules


class LocalStore:
    def __init__(self, engine: Engine, *, username: str, clock: Clock,
                 rules: CallingRules) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(engine.execution_options(**{READ_ONLY: True}),
                                           expire_on_commit=False)
        self._username = username
        self._clock = clock
        self._rules = rules
        self._offset: float | None = None
        self._questionnaires: dict[tuple[str, int], Questionnaire] = {}

    @classmethod
    def open(cls, path: Path, *, username: str, clock: Clock,
             rules: CallingRules | None = None) -> LocalStore:
        """Open (creating or migrating) the database of ``username`` at ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = make_engine(path)
        try:
            migrate(engine, path)
            store = cls(engine, username=username, clock=clock, rules=rules or CallingRules())
            store._claim_ownership(path)
            store._load_server_rules()
        except BaseException:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        self._engine.dispose()

    @property
    def username(self) -> str:
        return self._username

    # --- enumerator work -------------------------------------------------------------------

    def queue(self, now: datetime) -> list[QueueItem]:
        """Active cases in queue order (due first), per cati_app.core.queue_order, as queue
        rows; ``get_case`` reads the whole case when it is opened."""
        now = _utc(now, "now")
        with self._reading() as session:
            items = {item.case_id: item for item in records.queue_items(session)}
        entries = [records.queue_entry(item, self._username) for item in items.values()]
        ordered = order_queue(entries, now, records.ME, self._rules)
        return [items[entry.case_id] for entry in ordered]

    def get_case(self, case_id: int) -> LocalCase:
        with self._reading() as session:
            return records.to_case(session, records.case_row(session, case_id))

    def record_attempt(self, case_id: int, *, outcome: str, phone_index: int,
                       started_at: datetime, ended_at: datetime, note: str = "",
                       appointment_at: datetime | None = None,
                       appointment_kind: str | None = None, language: str | None = None
                       ) -> str:
        """Save a call's outcome and queue it for upload; returns the outbox item's uuid.
        ``language``: the respondent's, with the outcome ``language_needed`` (issue 18)."""
        with self._transaction() as session:
            return work.record_attempt(
                session, self._rules, self._username, case_id, outcome=outcome,
                phone_index=phone_index, started_at=_utc(started_at, "started_at"),
                ended_at=_utc(ended_at, "ended_at"), note=note,
                appointment_at=_utc_or_none(appointment_at, "appointment_at"),
                appointment_kind=appointment_kind, now=self._clock.now(), language=language)

    def start_interview(self, case_id: int, *, questionnaire: Questionnaire, language: str,
                        started_at: datetime, phone_index: int) -> InterviewDraft:
        """A new draft, or the case's open draft if there is one (resume after a crash)."""
        started_at = _utc(started_at, "started_at")
        with self._transaction() as session:
            self._keep_questionnaire(session, questionnaire)
            row = work.start_interview(session, case_id, questionnaire=questionnaire,
                                       language=language, started_at=started_at,
                                       phone_index=phone_index)
            return records.to_draft(session, row)

    def open_draft(self, case_id: int) -> InterviewDraft | None:
        with self._reading() as session:
            row = records.open_draft_row(session, case_id)
            return records.to_draft(session, row) if row is not None else None

    def save_answer(self, interview_uuid: str, name: str, value: Any, *,
                    current_item: str | None) -> None:
        """Committed before it returns; ``value`` None removes the answer."""
        with self._transaction() as session:
            work.save_answer(session, interview_uuid, name, value, current_item)

    def set_current_item(self, interview_uuid: str, name: str | None) -> None:
        with self._transaction() as session:
            work.open_interview(session, interview_uuid).current_item = name

    def finish_interview(self, interview_uuid: str, *, ended_at: datetime) -> str:
        """Close the draft as a new interview version with the outcome its answers imply, and
        queue it for upload; returns the outbox item's uuid."""
        ended_at = _utc(ended_at, "ended_at")
        with self._transaction() as session:
            draft = work.open_interview(session, interview_uuid)
            questionnaire = self._questionnaire_in(session, draft.questionnaire_id,
                                                   draft.questionnaire_version)
            if questionnaire is None:
                raise StoreError(f"questionnaire {draft.questionnaire_id} version "
                                 f"{draft.questionnaire_version} is not on this device yet: "
                                 "sync, then finish the interview (the answers are saved)")
            return work.finish_interview(session, self._rules, self._username, questionnaire,
                                         interview_uuid, ended_at=ended_at,
                                         now=self._clock.now())

    def release_case(self, case_id: int, reason: str) -> str:
        with self._transaction() as session:
            return work.release_case(session, case_id, reason, self._clock.now())

    def save_questionnaire(self, definition: dict[str, Any]) -> Questionnaire:
        """Validate and keep a questionnaire definition (QuestionnaireError lists problems)."""
        questionnaire = load_questionnaire(definition)
        with self._transaction() as session:
            self._keep_questionnaire(session, questionnaire)
        return questionnaire

    def questionnaire(self, qid: str, version: int) -> Questionnaire | None:
        with self._reading() as session:
            return self._questionnaire_in(session, qid, version)

    def pending_count(self) -> int:
        with self._reading() as session:
            return outbox.pending_count(session)

    def active_case_count(self) -> int:
        with self._reading() as session:
            return session.scalar(select(func.count()).select_from(CaseRow)
                                  .where(CaseRow.state == ACTIVE)) or 0

    # --- used by the sync engine -----------------------------------------------------------

    def outbox_batch(self, max_items: int, max_bytes: int) -> list[OutboxItem]:
        with self._reading() as session:
            return outbox.batch(session, max_items, max_bytes)

    def settle(self, results: list[ItemResult]) -> None:
        with self._transaction() as session:
            outbox.settle(session, results, self._clock.now())

    def claim_request_uuid(self) -> str:
        """The request_uuid of the next claim, saved before the call so a retry after a lost
        reply reuses it (the server then returns the same grant); store_claim clears it."""
        with self._transaction() as session:
            current: str | None = _meta(session, "claim_request_uuid")
            if current is None:
                current = str(uuid.uuid4())
                _set_meta(session, "claim_request_uuid", current)
            return current

    def store_claim(self, grant_id: str, cases: list[QueueCase]) -> None:
        with self._transaction() as session:
            incoming.store_claim(session, self._rules, grant_id, cases, self._clock.now())
            _set_meta(session, "claim_request_uuid", None)

    def apply_changes(self, changes: list[ReceivedChange], next_cursor: str) -> None:
        """Apply a pull page and move the cursor in ONE transaction (G6). Changes at or below
        the last applied sequence number are skipped, so a page applied twice changes
        nothing."""
        with self._transaction() as session:
            applied = int(_meta(session, "applied_seq") or 0)
            at = self._clock.now()
            for change in sorted(changes, key=lambda c: c.seq):
                if change.seq <= applied:
                    continue
                incoming.apply_change(session, self._rules, change, at)
                session.flush()
                applied = change.seq
            _set_meta(session, "applied_seq", applied)
            _set_meta(session, "cursor", next_cursor)

    def apply_snapshot(self, cases: list[QueueCase], cursor: str, *, reset: bool) -> None:
        """Take a snapshot of what the enumerator holds now and the feed cursor of that
        moment, in ONE transaction (G6): a fresh store starts here instead of replaying the
        whole feed; ``reset`` replaces the local view after a server restore."""
        with self._transaction() as session:
            incoming.apply_snapshot(session, self._rules, cases, self._clock.now(),
                                    reset=reset)
            _set_meta(session, "applied_seq", int(cursor))
            # what came before this point is in the snapshot, not applied change by change
            _set_meta(session, "snapshot_seq", int(cursor))
            _set_meta(session, "cursor", cursor)

    def has_cursor(self) -> bool:
        """False for a store that never took a snapshot nor pulled: it needs a snapshot."""
        with self._reading() as session:
            return _meta(session, "cursor") is not None

    def cursor(self) -> str:
        with self._reading() as session:
            return str(_meta(session, "cursor") or "0")

    def questionnaires_to_fetch(self) -> list[tuple[str, int]]:
        """Announced versions not yet here, and those that cases or drafts need."""
        with self._reading() as session:
            wanted = set(session.execute(select(QuestionnaireRow.qid, QuestionnaireRow.version)
                                         .where(QuestionnaireRow.definition.is_(None))).all())
            for model, live in ((CaseRow, CaseRow.state == ACTIVE),
                                (InterviewRow, InterviewRow.status == OPEN)):
                wanted.update(session.execute(
                    select(model.questionnaire_id, model.questionnaire_version).distinct()
                    .where(live, ~_stored(model))).all())
        return sorted((str(q), int(v)) for q, v in wanted)

    def set_server_clock_offset(self, seconds: float) -> None:
        with self._transaction() as session:
            _set_meta(session, "server_clock_offset", float(seconds))
        self._offset = float(seconds)

    def server_clock_offset(self) -> float:
        """Seconds to add to this computer's clock to get the server's (last measured).
        Kept in memory too: the desktop asks for it every time it reads the time."""
        if self._offset is None:
            with self._reading() as session:
                self._offset = float(_meta(session, "server_clock_offset") or 0.0)
        return self._offset

    def set_calling_rules(self, rules: dict[str, Any], version: int) -> None:
        """Keep the server's calling rules (CallingRules.to_dict) and plan with them from now
        on: the queue's windows and holidays at once, retry delays and the cap from the next
        call on (as on the server, a case's next call already planned is not moved). ValueError
        (and nothing kept) when the rules do not parse."""
        parsed = CallingRules.from_dict(rules)
        with self._transaction() as session:
            _set_meta(session, "calling_rules", {"version": int(version), "rules": rules})
        self._rules = parsed

    def server_rules(self) -> dict[str, Any] | None:
        """The server's rules last kept, ``{"version": ..., "rules": ...}``; None: none yet."""
        with self._reading() as session:
            stored = _meta(session, "calling_rules")
        return stored if isinstance(stored, dict) else None

    def calling_rules(self) -> CallingRules:
        return self._rules

    def record_sync(self, ok: bool, message: str, at: datetime) -> None:
        at = _utc(at, "at")
        with self._transaction() as session:
            incoming.log(session, at, "info" if ok else "error", message)
            if ok:
                _set_meta(session, "last_successful_sync", at.isoformat())

    def last_successful_sync(self) -> datetime | None:
        with self._reading() as session:
            value = _meta(session, "last_successful_sync")
        return datetime.fromisoformat(value) if value else None

    def sync_log(self, limit: int = 200) -> list[SyncLogEntry]:
        """Newest first."""
        with self._reading() as session:
            rows = session.scalars(select(SyncLogRow)
                                   .order_by(SyncLogRow.at.desc(), SyncLogRow.id.desc())
                                   .limit(limit))
            return [SyncLogEntry(row.at, row.level, row.message) for row in rows]

    def purge_contact_details(self, now: datetime) -> int:
        """Blank the name and numbers of cases that left the queue ('done' or 'revoked') with
        nothing of theirs still to upload and no interview open; returns how many."""
        now = _utc(now, "now")
        with self._transaction() as session:
            unsent = exists().where(OutboxRow.case_id == CaseRow.case_id)
            drafting = exists().where(and_(InterviewRow.case_id == CaseRow.case_id,
                                           InterviewRow.status == OPEN))
            result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(CaseRow)
                .where(CaseRow.state.in_((DONE, REVOKED)), CaseRow.purged_at.is_(None),
                       ~unsent, ~drafting)
                .values(respondent_name="", phones=[], purged_at=now))
            return result.rowcount

    # --- internals -------------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._unit(self._sessions) as session:
            yield session

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A transaction that only reads: no write lock (see database.make_engine)."""
        with self._unit(self._read_sessions) as session:
            yield session

    @contextmanager
    def _unit(self, sessions: sessionmaker[Session]) -> Iterator[Session]:
        try:
            with sessions() as session, session.begin():
                yield session
        except OperationalError as error:
            # the transaction is rolled back: nothing of it is written, say so and what to do
            storage = _storage_error(error, self._engine.url.database)
            if storage is None:
                raise
            raise storage from error

    def _claim_ownership(self, path: Path) -> None:
        with self._transaction() as session:
            owner = _meta(session, "username")
            if owner is None:
                _set_meta(session, "username", self._username)
            elif owner != self._username:
                raise StoreError(f"the local database {path} belongs to {owner!r}, not "
                                 f"{self._username!r}; open the one made for this user")

    def _load_server_rules(self) -> None:
        """Plan with the rules the server sent last (kept from the previous session)."""
        with self._reading() as session:
            stored = _meta(session, "calling_rules")
        if isinstance(stored, dict):
            # checked when stored; rules this version cannot read are sent again at sync
            with suppress(KeyError, TypeError, ValueError):
                self._rules = CallingRules.from_dict(stored["rules"])

    def _keep_questionnaire(self, session: Session, questionnaire: Questionnaire) -> None:
        key = (questionnaire.id, questionnaire.version)
        row = session.get(QuestionnaireRow, key)
        if row is None:
            row = QuestionnaireRow(qid=questionnaire.id, version=questionnaire.version)
            session.add(row)
        if row.definition is None:
            row.definition = questionnaire.model_dump(mode="json")
        self._questionnaires[key] = questionnaire

    def _questionnaire_in(self, session: Session, qid: str, version: int
                          ) -> Questionnaire | None:
        key = (qid, version)
        if key not in self._questionnaires:
            row = session.get(QuestionnaireRow, key)
            if row is None or row.definition is None:
                return None
            self._questionnaires[key] = load_questionnaire(row.definition)
        return self._questionnaires[key]


def _storage_error(error: OperationalError, path: str | None) -> StoreError | None:
    """A full disk, a read-only file or a failing drive as a StoreError a person can act on
    (issue 6); other database errors stay as they are."""
    name = str(getattr(error.orig, "sqlite_errorname", ""))
    kept = "everything saved before is kept on this computer"
    if name.startswith("SQLITE_FULL"):
        return StoreError(f"could not save: the disk holding {path} is full. Free some disk "
                          f"space, then save again; {kept}")
    if name.startswith("SQLITE_READONLY"):
        return StoreError(f"could not save: the local database {path} is read-only. Check "
                          "that this user may write the file and its folder and that the "
                          f"drive is not write-protected, then save again; {kept}")
    if name.startswith("SQLITE_IOERR"):
        return StoreError(f"could not save: the drive holding {path} reported an error "
                          f"({name}). Check the drive (a removed USB stick, a network share "
                          f"gone), then save again; {kept}")
    return None


def _stored(model: type[CaseRow] | type[InterviewRow]) -> Any:
    return exists().where(QuestionnaireRow.qid == model.questionnaire_id,
                          QuestionnaireRow.version == model.questionnaire_version,
                          QuestionnaireRow.definition.is_not(None))


def _meta(session: Session, key: str) -> Any:
    row = session.get(Meta, key)
    return row.value if row is not None else None


def _set_meta(session: Session, key: str, value: Any) -> None:
    session.merge(Meta(key=key, value=value))


def _utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return as_utc(value)


def _utc_or_none(value: datetime | None, name: str) -> datetime | None:
    return None if value is None else _utc(value, name)
