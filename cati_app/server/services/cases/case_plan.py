"""Recompute a case's schedule and disposition from its attempts, with the rules of
``cati_app.core`` (the server never trusts a client's idea of the next call or the status)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, aliased

from cati_app.core import outcomes
from cati_app.core.dispositions import final_disposition_keys
from cati_app.core.scheduling import AppointmentRecord, AttemptRecord, CallingRules, plan_next_call
from cati_app.server.db import among
from cati_app.server.models import Case, CaseState, ContactAttempt, InterviewVersion
from cati_app.server.services.cases import assignments
from cati_app.server.services.sampling.replicates import note_closed


def refresh_pool(case: Case) -> None:
    """Which claim stage finds the case while it is queued (see Case.pool)."""
    if case.appointment_at is not None:
        case.pool = "appointment"
    elif case.attempt_count > 0:
        case.pool = "retry"
    else:
        case.pool = "fresh"


def appointment_of(case: Case) -> AppointmentRecord | None:
    if case.appointment_at is None or case.appointment_kind is None:
        return None
    return AppointmentRecord(case.appointment_at, case.appointment_kind, case.appointment_by)


def replan(session: Session, case: Case, rules: CallingRules, *, at: datetime,
           by: int | None, device_id: str = "") -> None:
    """Bring next call, phone, attempt count and disposition up to date; close the case when
    the plan says so (a final outcome, the attempt cap, no number left)."""
    apply_history(session, case, load_history(session, [case.id]).get(case.id, []), rules,
                  at=at, by=by, device_id=device_id)


def load_history(session: Session, case_ids: list[int]) -> dict[int, list[AttemptRecord]]:
    """The attempts of each case in the order the rules read them (time, then arrival).

    The one place where what an interview says reaches the disposition: a call that produced
    an interview reads the completion of the case's *primary* interview version, so a
    correction or a supervisor's choice of version (no new call either way) moves the
    disposition, the rates and every sheet with it. A call a supervisor dismissed stays in
    the history with ``counts=False``.

    The time is the attempt's effective time: the device's start, or the server's receipt when
    the device's clock was implausible (cati_app.core.time_checks), so a call from a clock a
    day ahead sorts where the server received it, not after every later call."""
    rows = session.execute(_HISTORY.where(among(session, ContactAttempt.case_id, case_ids))
                           .order_by(ContactAttempt.case_id, _AT, ContactAttempt.id)).all()
    history: dict[int, list[AttemptRecord]] = {}
    for r in rows:
        history.setdefault(r.case_id, []).append(
            AttemptRecord(r.at, r.outcome, r.phone_index, r.user_id,
                          counts=not r.dismissed))
    return history


def effective_at() -> ColumnElement[datetime]:
    """The time the rules read an attempt at (rows from before effective_at: started_at)."""
    return func.coalesce(ContactAttempt.effective_at, ContactAttempt.started_at)


# The history's select, built once: an aliased entity made per call copied every column of
# interview_versions each time, a large part of a bulk push's CPU.
_AT = effective_at()
_PRIMARY = aliased(InterviewVersion)
_OUTCOME = sql_case(
    (and_(ContactAttempt.interview_version_uuid.is_not(None),
          _PRIMARY.completion.is_not(None)), _PRIMARY.completion),
    else_=ContactAttempt.outcome)
_HISTORY = (
    select(ContactAttempt.case_id, _AT.label("at"), _OUTCOME.label("outcome"),
           ContactAttempt.phone_index, ContactAttempt.user_id, ContactAttempt.dismissed)
    # at most one primary version per case (a unique index), so no row is repeated
    .outerjoin(_PRIMARY, and_(_PRIMARY.case_id == ContactAttempt.case_id,
                              _PRIMARY.primary.is_(True))))


def apply_history(session: Session, case: Case, history: list[AttemptRecord],
                  rules: CallingRules, *, at: datetime, by: int | None, device_id: str = "",
                  deferred: assignments.DeferredWrites | None = None) -> None:
    """``replan`` with the history already in hand (ordered as ``load_history`` orders it);
    ``deferred`` collects the writes of closing a case (assignments.write_deferred)."""
    history = sorted(history, key=lambda a: a.at)  # stable: arrival order within one time
    case.attempt_count = len(history)  # dismissed calls too: they were made
    case.last_called_at = history[-1].at if history else None
    counted = [a for a in history if a.counts]
    if counted:
        key = final_disposition_keys([a.outcome for a in counted])
        case.disposition = key
        case.disposition_code = outcomes.outcome(key).aapor_code
    elif history:  # only dismissed calls: as if their outcome had never been reported
        case.disposition = case.disposition_code = None
    plan = plan_next_call(counted, len(case.phones()), rules, appointment_of(case))
    if plan.appointment is None and case.appointment_at is not None:
        set_appointment(case, None, None, None)  # used up by a later call
    case.next_call_at = plan.next_call_at if case.state != CaseState.CLOSED else None
    case.next_phone_index = plan.phone_index
    case.plan_reason = plan.reason[:200]
    case.updated_at = at
    if plan.closed and case.state in (CaseState.QUEUED, CaseState.HELD):
        close(session, case, at=at, by=by, device_id=device_id, reason=plan.reason,
              deferred=deferred)
    refresh_pool(case)


def close(session: Session, case: Case, *, at: datetime, by: int | None, device_id: str = "",
          reason: str, deferred: assignments.DeferredWrites | None = None) -> None:
    if case.holder_id is not None:
        assignments.revoke_holder(session, case, at=at, by=by, device_id=device_id,
                                  reason=f"case closed: {reason}", deferred=deferred)
    case.state = CaseState.CLOSED
    case.closed_at = at
    case.next_call_at = None
    case.appointment_at = case.appointment_kind = case.appointment_by = None
    note_closed(session, case, at)  # a drawn case may finish its replicate (issue 15)


def set_appointment(case: Case, at: datetime | None, kind: str | None, booked_by: int | None
                    ) -> None:
    case.appointment_at = at
    case.appointment_kind = kind if at else None
    case.appointment_by = booked_by if at and kind == "hard" else None
    refresh_pool(case)
