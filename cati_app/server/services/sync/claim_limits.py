"""What one enumerator may take (issue 11, DESIGN.md §5): nobody can harvest the sample's
names and phone numbers by claiming over and over.

- at most ``max_held_cases`` held at once (default twice the desktop's queue target);
- at most ``claim_cases_per_hour`` cases handed out by claims in any hour, so claiming and
  releasing in a loop cannot walk through the sample either;
- at most ``claims_per_minute`` claims; more are answered 429 with Retry-After;
- a claim asking for more than the first two allow is cut, audited (``claim.mass``) and the
  cases it hands out are flagged ``mass_claim`` in the supervisor's case table.
A retried claim (same request_uuid) replays its grant and is never limited.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Integer, Select, String, bindparam, func, literal, select, text
from sqlalchemy.orm import Session

from cati_app.server.audit import audit
from cati_app.server.errors import TooManyRequests
from cati_app.server.models import Assignment, Case, CaseFlag, CaseState, Grant, User
from cati_app.server.settings import Settings

#: first key of the PostgreSQL advisory lock that serialises one user's claims ("CLAM")
CLAIM_LOCK_CLASS = 0x434C414D & 0x7FFFFFFF
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
MASS_CLAIM = "mass_claim"


def serialise_user(session: Session, user_id: int) -> None:
    """One claim per user at a time, so parallel claims cannot all pass the counts below.
    SQLite's BEGIN IMMEDIATE already serialises every writer. The lock lives in its own key
    space and is taken first, so it can wait on no one holding another lock (no deadlock)."""
    if session.get_bind().dialect.name == "postgresql":
        # In the same round trip: plan the claim's statements once per connection. The
        # one-statement claim (claim_statement) costs several times more to plan than to run,
        # and each statement of a claim is written so that its generic plan follows its
        # indexes (constants in the text, no parameter that decides an index).
        session.execute(text("SELECT pg_advisory_xact_lock(:k, :u), "
                             "set_config('plan_cache_mode', 'force_generic_plan', true)"),
                        {"k": CLAIM_LOCK_CLASS, "u": user_id})


@dataclass(frozen=True)
class ClaimerState:
    """What the limits need to know about one claimer, read in one statement."""

    #: the grant already made for this request_uuid (by anyone), for a replay
    existing_grant_id: str | None
    claims_last_minute: int
    oldest_claim_last_minute: datetime | None
    held: int
    handed_last_hour: int
    #: the claimer's languages and skills (routing, issue 18), read in the same statement
    languages: list[str]
    skills: list[str]
    #: the earliest delivery deadline of any claimed case not yet acknowledged
    first_delivery_deadline: datetime | None


def claimer_state(session: Session, user_id: int, request_uuid: str, now: datetime
                  ) -> ClaimerState:
    row = session.execute(_claimer_state_query(), {
        "user_id": user_id, "request_uuid": request_uuid, "minute_ago": now - MINUTE,
        "hour_ago": now - HOUR}).one()
    return ClaimerState(row[0], row[1] or 0, row[2], row[3] or 0, row[4] or 0,
                        list(row[5] or ()), list(row[6] or ()), row[7])


@cache
def _claimer_state_query() -> Select[str | None, int, datetime | None, int, int, list[str],
                                     list[str], datetime | None]:
    """Built once per process (every claim runs it); the values are bound parameters."""
    user_id = bindparam("user_id", type_=Integer())
    when = Grant.created_at.type
    me = User.id == user_id
    recent = (Grant.user_id == user_id) & (Grant.created_at > bindparam("minute_ago", type_=when))
    return select(
        select(Grant.id).where(Grant.request_uuid == bindparam("request_uuid", type_=String()))
        .scalar_subquery(),
        select(func.count()).where(recent).scalar_subquery(),
        select(func.min(Grant.created_at)).where(recent).scalar_subquery(),
        select(func.count()).select_from(Case).where(
            Case.holder_id == user_id, Case.state == CaseState.HELD).scalar_subquery(),
        select(func.count()).select_from(Assignment).where(
            Assignment.user_id == user_id,
            Assignment.started_at > bindparam("hour_ago", type_=when),
            Assignment.grant_id.is_not(None)).scalar_subquery(),
        select(User.languages).where(me).scalar_subquery(),
        select(User.skills).where(me).scalar_subquery(),
        # the first entry of ix_cases_delivery that is held (acknowledged cases have none):
        # no parameter, so one plan fits every claim; usually in the future or none at all
        select(func.min(Case.delivery_deadline)).where(
            Case.state == literal(CaseState.HELD, String(), literal_execute=True))
        .scalar_subquery(),
    )


def check_rate(settings: Settings, state: ClaimerState, now: datetime) -> None:
    if state.claims_last_minute >= settings.claims_per_minute:
        assert state.oldest_claim_last_minute is not None
        wait = math.ceil((state.oldest_claim_last_minute + MINUTE - now).total_seconds())
        raise TooManyRequests(
            f"too many claims: at most {settings.claims_per_minute} a minute; "
            f"try again in {max(1, wait)} s", retry_after_seconds=wait)


@dataclass(frozen=True)
class Allowance:
    cases: int
    held: int
    handed_last_hour: int


def allowance(settings: Settings, state: ClaimerState) -> Allowance:
    cases = min(settings.max_held_cases - state.held,
                settings.claim_cases_per_hour - state.handed_last_hour)
    return Allowance(max(0, cases), state.held, state.handed_last_hour)


def flag_mass_claim(session: Session, *, user_id: int, device_id: str, at: datetime,
                    grant_id: str, asked: int, allowed: Allowance, case_ids: list[int]
                    ) -> None:
    audit(session, at=at, user_id=user_id, device_id=device_id, action="claim.mass",
          entity="user", entity_id=user_id,
          details={"grant_id": grant_id, "asked": asked, "allowed": allowed.cases,
                   "held": allowed.held, "handed_last_hour": allowed.handed_last_hour,
                   "granted": len(case_ids)})
    detail = (f"claimed with a request for {asked} cases while holding {allowed.held} "
              f"({allowed.handed_last_hour} handed out in the last hour)")
    for case_id in case_ids:
        session.add(CaseFlag(case_id=case_id, kind=MASS_CLAIM, detail=detail[:500],
                             user_id=user_id, created_at=at))
