"""The bulk write strategy of ``POST /v1/sync/push``, for the everyday batch.

Most batches are fresh work from the device that holds the cases: new attempts and finished
interviews, nothing replayed, nothing stale, no corrections. For those, the per-item strategy
(a savepoint and a dozen statements per item) is almost all overhead, so this module writes the
whole batch set-wise: one read each for the ledger, the cases (locked), their attempt history
and their primary interviews; each item goes through the same planner as on the per-item path
(``push_plan``), in order, in memory; then one insert per table, one UPDATE of the cases and
one of the holds ended, inside one savepoint.

It gives exactly the results and rows the per-item strategy would (tests/server/
test_push_strategies.py compares the two on generated histories), and it declines (returns
None) whenever a batch holds anything the planner words as a rejection or that needs the
conflict rules: a replay, a stale or unknown case, an invalid payload or answers, a correction,
an interview for a case that already has one, implausible device times, a "never call me"
(the register's withdrawals touch other cases), a language referral (the case leaves its
holder), a case closed by an earlier item of the batch, or an insert that collides with a
concurrent push. The caller then takes the per-item path, which owns every rule for those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, insert, inspect, select, update
from sqlalchemy.exc import DataError, IntegrityError

from cati_app.core.protocol import (
    ContactAttemptPayload,
    InterviewVersionPayload,
    ItemKind,
    ItemResult,
    ItemStatus,
    PushItem,
)
from cati_app.server.db import among
from cati_app.server.models import (
    Case,
    CaseState,
    ContactAttempt,
    InterviewVersion,
    PushedItem,
)
from cati_app.server.models.base import table_of
from cati_app.server.services.cases import assignments, case_plan
from cati_app.server.services.sync import interviews
from cati_app.server.services.sync.push_common import ItemRejected, PushContext
from cati_app.server.services.sync.push_plan import (
    AttemptPlan,
    AttemptRow,
    InterviewPlan,
    InterviewRow,
    LedgerRow,
    book_or_clear_appointment,
    is_current,
    ledger_row,
    parse_payload,
    plan_attempt,
    plan_interview,
    push_audit,
)

FAST_KINDS = frozenset({ItemKind.contact_attempt, ItemKind.interview_version})


class Decline(Exception):
    """This batch needs the per-item strategy."""


@dataclass
class BatchRows:
    """Everything a batch writes, in item order, for one insert per table."""
    ledger: list[LedgerRow] = field(default_factory=list)
    attempts: list[AttemptRow] = field(default_factory=list)
    versions: list[InterviewRow] = field(default_factory=list)
    #: the items' audit and the writes of closing cases, in the order the per-item path
    #: makes them (its push audit, then the revoke of a case it closes)
    deferred: assignments.DeferredWrites = field(default_factory=assignments.DeferredWrites)
    results: list[ItemResult] = field(default_factory=list)


def push_fast(pc: PushContext, items: list[PushItem], digests: list[str]
              ) -> list[ItemResult] | None:
    """The results of the whole batch, or None when it must take the per-item path."""
    if not items or any(i.kind not in FAST_KINDS for i in items):
        return None
    uuids = [str(i.item_uuid) for i in items]
    if len(set(uuids)) != len(uuids) or pc.session.scalar(
            select(PushedItem.item_uuid).where(among(pc.session, PushedItem.item_uuid, uuids))
            .limit(1)):
        return None
    try:
        with pc.session.begin_nested():
            cases = _locked_cases(pc, items)
            rows = _plan_batch(pc, items, digests, cases)
            _write(pc, rows, cases.values())
            return rows.results
    except (Decline, ItemRejected, IntegrityError, DataError, OverflowError):
        return None  # the savepoint is rolled back; the per-item path starts afresh


def _locked_cases(pc: PushContext, items: list[PushItem]) -> dict[int, Case]:
    case_ids = sorted({i.case_id for i in items})
    cases = {c.id: c for c in pc.session.scalars(
        select(Case).where(among(pc.session, Case.id, case_ids)).order_by(Case.id)
        .with_for_update())}
    for item in items:
        case = cases.get(item.case_id)
        if case is None or not is_current(pc, case, item):
            raise Decline
    return cases


def _plan_batch(pc: PushContext, items: list[PushItem], digests: list[str],
                cases: dict[int, Case]) -> BatchRows:
    history = case_plan.load_history(pc.session, list(cases))
    with_primary = set(pc.session.scalars(select(InterviewVersion.case_id).where(
        among(pc.session, InterviewVersion.case_id, list(cases)),
        InterviewVersion.primary.is_(True))))
    rows = BatchRows()
    for item, digest in zip(items, digests, strict=True):
        case = cases[item.case_id]
        if case.state != CaseState.HELD:  # closed by an earlier item of this batch
            raise Decline
        plan = _plan_item(pc, item, case, rows, with_primary)
        case_history = history.setdefault(case.id, [])
        case_history.append(plan.record())
        rows.deferred.audit.append(push_audit(pc, item, case, True).values())
        case_plan.apply_history(pc.session, case, case_history, pc.ctx.rules, at=pc.now,
                                by=pc.user.id, device_id=pc.device_id, deferred=rows.deferred)
        detail = plan.detail(case.state)
        rows.ledger.append(ledger_row(pc, item, digest, ItemStatus.stored, detail))
        rows.results.append(ItemResult(item_uuid=item.item_uuid, status=ItemStatus.stored,
                                       detail=detail))
    return rows


def _plan_item(pc: PushContext, item: PushItem, case: Case, rows: BatchRows,
               with_primary: set[int]) -> AttemptPlan | InterviewPlan:
    """The rows of one current item, through the shared planner."""
    payload = parse_payload(item)
    plan: AttemptPlan | InterviewPlan
    if isinstance(payload, ContactAttemptPayload):
        plan = plan_attempt(pc, item, case, payload, current=True)
        if plan.times.flags:
            raise Decline  # the per-item path flags implausible times
        if plan.do_not_call is not None:
            raise Decline  # "never call me": the per-item path puts the number on the register
        if plan.outcome.refers_language:
            raise Decline  # the case changes language and leaves its holder: per item
        book_or_clear_appointment(pc, case, plan)
        rows.attempts.append(plan.row)
    else:
        assert isinstance(payload, InterviewVersionPayload)
        if payload.base_version_uuid is not None or case.id in with_primary:
            raise Decline  # a correction or a second interview: the conflict rules decide
        plan = plan_interview(pc, item, case, payload, current=True)
        if plan.times.flags:
            raise Decline
        plan.version.primary = True  # the case's first interview, from its holder
        with_primary.add(case.id)
        rows.versions.append(plan.version)
        assert plan.attempt is not None
        rows.attempts.append(plan.attempt)
    return plan


def _write(pc: PushContext, rows: BatchRows, cases: Iterable[Case]) -> None:
    """Ledger first, as on the per-item path: a concurrent push of the same items collides
    here, the savepoint rolls back, and the per-item path answers ``duplicate``. Plain Core
    inserts: the ORM's bulk insert of the same rows cost a fifth of a push in its own
    bookkeeping."""
    connection = pc.session.connection()
    connection.execute(insert(table_of(PushedItem)), [r.values() for r in rows.ledger])
    held = list(cases)
    if rows.versions:
        insert_interviews(pc, rows.versions)
    connection.execute(insert(table_of(ContactAttempt)), [r.values() for r in rows.attempts])
    _update_cases(pc, held)
    assignments.write_deferred(pc.session, rows.deferred)
    # last: the tickets' writes flush the session, which must not write the cases again
    interviews.take_complaints(pc, rows.versions, {case.id: case for case in held})


def insert_interviews(pc: PushContext, versions: list[InterviewRow]) -> None:
    """The bulk strategy's write of interview versions (the per-item one is
    interviews.add_interview); both write rows made by push_plan.interview_row."""
    pc.session.connection().execute(insert(table_of(InterviewVersion)),
                                    [r.values() for r in versions])


def _update_cases(pc: PushContext, cases: list[Case]) -> None:
    """The cases' new plan in one UPDATE statement. The ORM's flush of the same changes (a
    unit of work comparing every attribute of every case) cost a sixth of a push; the cases
    are taken out of the session so it does not write them a second time."""
    changed: set[str] = set()
    for case in cases:
        changed.update(inspect(case).committed_state)
    table = table_of(Case)
    columns = sorted(changed & set(table.columns.keys()))
    if columns:
        values: list[dict[str, Any]] = [
            {"b_id": case.id, **{f"b_{c}": getattr(case, c) for c in columns}}
            for case in cases]
        pc.session.connection().execute(
            update(table).where(table.c.id == bindparam("b_id"))
            .values({c: bindparam(f"b_{c}") for c in columns}), values)
    for case in cases:
        pc.session.expunge(case)
