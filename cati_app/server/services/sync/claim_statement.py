"""The PostgreSQL claim in one statement (issue 14): pick, hold, record and read back.

One data-modifying CTE does what the SQLite claim does in several statements:

1. one ``FOR UPDATE SKIP LOCKED`` select per queue category and pool (``claim_order``'s
   selects, each along its index, routing included), ``LIMIT n`` each;
2. ``picked``: their ``UNION ALL`` in queue order, ``LIMIT n``. PostgreSQL runs the branches of
   an Append one after the other and stops when the limit is reached, and a CTE is read only as
   far as its reader asks, so the branches lock only the rows taken (plus, for a category
   merging two pools, up to n rows of each pool, as before). A query that writes data is never
   run in parallel, so that order holds. ``row_number()`` keeps the position;
3. ``held``: the cases' UPDATE (version + 1, holder, grant, delivery deadline);
4. their assignment history rows and audit rows;
5. the grant row (its ``case_ids`` in queue order), ``ON CONFLICT (request_uuid) DO NOTHING``;
6. the reply: each held case with its service, the questionnaire's newest version, the
   appointment's booker, its attempts (JSON) and which of its numbers are on the do-not-call
   register. No row at all means the request_uuid was taken meanwhile by another user.

``tests/server/test_claim_order.py`` checks the result against core on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import aliased

from cati_app.server.models import (
    Assignment,
    AuditEntry,
    Case,
    CaseState,
    ContactAttempt,
    Grant,
    QuestionnaireVersion,
    Service,
    User,
)
from cati_app.server.models.base import table_of
from cati_app.server.services.sync import claim_order, routing


def parameters(window: claim_order.ClaimWindow, n: int, grant: Grant, deadline: datetime
               ) -> dict[str, object]:
    """The values of ``statement(n)``'s parameters: claim_order's and routing's (``window``)
    and the claim's own."""
    return {**window.params(), "n": n, "device_id": grant.device_id, "grant_id": grant.id,
            "request_uuid": grant.request_uuid, "deadline": deadline}


def statement(n: int) -> Select[Any]:
    """The claim of at most ``n`` cases; run with ``parameters``.

    PostgreSQL plans it once per connection (a generic plan, see ``claim_limits``): planning
    it costs several times running it. Each branch's limit is a constant, the next power of
    two from ``n``, so that plan follows the indexes (a limit as a parameter is estimated at a
    tenth of the rows, and then a sort of the whole pool looks cheaper); the limit of the
    whole is the parameter ``n``."""
    return _statement(1 << max(0, n - 1).bit_length())


@cache
def _statement(branch_limit: int) -> Select[Any]:
    cases, history, audit_log, grants = (table_of(m) for m in (Case, Assignment, AuditEntry,
                                                                Grant))
    when = Case.next_call_at.type
    n = bindparam("n", type_=Integer())
    user_id, now = bindparam("user_id", type_=Integer()), bindparam("now", type_=when)
    device_id, grant_id = bindparam("device_id", type_=String()), bindparam("grant_id",
                                                                            type_=String())
    ranked = _ranked(n, literal_column(str(branch_limit), Integer())).cte("ranked")
    held = (update(cases).where(cases.c.id == ranked.c.id)
            .values(assignment_version=cases.c.assignment_version + 1, holder_id=user_id,
                    holder_device=device_id, grant_id=grant_id, state=CaseState.HELD,
                    delivery_deadline=bindparam("deadline", type_=when), updated_at=now)
            .returning(*cases.c, ranked.c.pos).cte("held"))
    hold_rows = history.insert().from_select(
        ["case_id", "version", "user_id", "device_id", "grant_id", "started_at", "end_reason"],
        select(held.c.id, held.c.assignment_version, user_id, device_id, grant_id, now,
               literal(""))).cte("hold_rows")
    audit_rows = audit_log.insert().from_select(
        ["at", "user_id", "device_id", "action", "entity", "entity_id", "details"],
        select(now, user_id, device_id, literal("case.grant"), literal("case"),
               cast(held.c.id, String()),
               func.json_build_object("to_user", user_id, "reason", "claim",
                                      "assignment_version", held.c.assignment_version))
    ).cte("audit_rows")
    case_ids = select(func.coalesce(func.json_agg(aggregate_order_by(held.c.id, held.c.pos)),
                                    func.json_build_array())).scalar_subquery()
    granted = (pg_insert(grants).from_select(
        ["id", "request_uuid", "user_id", "device_id", "created_at", "case_ids"],
        select(grant_id, bindparam("request_uuid", type_=String()), user_id, device_id, now,
               case_ids))
        .on_conflict_do_nothing(index_elements=["request_uuid"])
        .returning(grants.c.id).cte("granted"))
    return _reply(held, granted).add_cte(hold_rows, audit_rows)


def _ranked(n: Any, branch_limit: Any) -> Select[Any]:
    branches: list[Select[Any]] = []
    for number, category in enumerate(claim_order.categories()):
        locked = [query.with_only_columns(*_key_columns())
                  .limit(branch_limit).with_for_update(skip_locked=True)
                  .cte(f"c{number}_{pool}")
                  for pool, query in enumerate(category.selects)]
        if len(locked) == 1:
            branches.append(select(locked[0].c.id))
            continue
        merged = union_all(*[select(cte) for cte in locked]).subquery(f"c{number}")
        branches.append(select(merged.c.id).order_by(*_merged_order(number, merged))
                        .limit(branch_limit))
    picked: CompoundSelect[Any] = union_all(*branches).limit(n)
    inner = picked.subquery("picked")
    return select(inner.c.id, func.row_number().over().label("pos"))


def _key_columns() -> list[Any]:
    due = func.coalesce(Case.next_call_at, Case.appointment_at)
    return [Case.id, Case.priority, Case.last_called_at, due.label("due")]


def _merged_order(number: int, merged: Any) -> list[Any]:
    """The order of a category merging two pools: claim_order's key functions, in SQL."""
    if claim_order.categories()[number].key is claim_order.key_by_due:
        return [merged.c.due, merged.c.priority.desc(), merged.c.id]
    return [merged.c.priority.desc(), merged.c.last_called_at.asc().nulls_first(),
            merged.c.id]


def _reply(held: Any, granted: Any) -> Select[Any]:
    booker = aliased(User)
    newest = (select(func.max(QuestionnaireVersion.version))
              .where(QuestionnaireVersion.qid == Service.questionnaire_id).scalar_subquery())
    return (select(granted.c.id.label("granted"), *[c for c in held.c if c.key != "pos"],
                   Service.code.label("service_code"), Service.name.label("service_name"),
                   Service.questionnaire_id, newest.label("questionnaire_version"),
                   booker.username.label("booked_by"), _attempts(held).label("attempts"),
                   *[routing.blocked(held.c[f"phone{k}"]).label(f"blocked{k}")
                     for k in (1, 2, 3)])
            .select_from(granted)
            .outerjoin(held, true())
            .outerjoin(Service, Service.id == held.c.service_id)
            .outerjoin(booker, booker.id == held.c.appointment_by)
            .order_by(held.c.pos))


def _attempts(held: Any) -> Any:
    """The case's attempts as ``case_views.AttemptSummary`` fields, oldest first (JSON)."""
    a, caller = ContactAttempt, aliased(User)
    summary = func.json_build_object(
        "started_at", a.started_at, "outcome", a.outcome, "aapor_code", a.aapor_code,
        "phone_index", a.phone_index, "note", a.note, "enumerator", caller.username)
    return (select(func.json_agg(aggregate_order_by(summary, a.started_at, a.id)))
            .join(caller, caller.id == a.user_id)
            .where(a.case_id == held.c.id).scalar_subquery())
