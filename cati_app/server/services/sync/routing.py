"""Who may take which queued case (issue 18): language and skill routing, and the do-not-call
register, as SQL conditions the claim's category selects carry (``claim_order``).

Rules (docs/api.md, "Routing: languages, refusal conversion, do-not-call"):
- a case goes only to an enumerator who speaks its language. A case of unknown language
  (``any``, or a legacy empty string) goes to anyone, and so does every case to an enumerator
  whose ``languages`` list is empty (an account made before routing speaks every language).
  An enumerator's own hard appointment goes back to them whatever its language (they have
  talked with the respondent already);
- a soft refusal due for conversion (a queued retry whose disposition so far is
  ``soft_refusal``; not one with an appointment since) goes only to enumerators with the
  ``refusal_conversion`` skill while such an enumerator who speaks its language is on shift;
  with none on shift, to anyone (who speaks it);
- a case whose language no enumerator on shift speaks waits ``language_wait`` (a setting,
  2 hours) counted from when it became due: its next call time, or for a case never called
  (no next call time) its import, ``created_at``. Then anyone may take it, and the claim marks
  it ``language_may_not_match`` for an enumerator who does not speak it. So no case starves;
- a case whose every phone number is on the do-not-call register is never handed out.

"On shift" is ``accounts.presence.on_shift_enumerators``, read as one small query over the
signed-in enumerators (their languages and skills), reduced here to a ``Shift`` and kept a few
seconds per process (``shift_cache_seconds``): under load each round trip of a claim costs
5-10 ms, and the query reads every live token.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    event,
    exists,
    func,
    literal,
    not_,
    or_,
)
from sqlalchemy import select as sql_select
from sqlalchemy.orm import ORMExecuteState, Session

from cati_app.core.languages import ANY, REFUSAL_CONVERSION
from cati_app.server.models import AuthToken, Case, DoNotCall, User
from cati_app.server.services.accounts.presence import on_shift_enumerators

#: case languages meaning "not known": anyone may take the case ("" from before issue 18)
UNKNOWN = frozenset({ANY, ""})
#: the provisional disposition of a case refused softly and not yet converted
SOFT_REFUSAL = "soft_refusal"


@dataclass(frozen=True)
class Shift:
    """The languages and conversion skill of the enumerators on shift."""

    #: some enumerator on shift speaks every language (an empty ``languages`` list)
    speaks_all: bool = False
    spoken: frozenset[str] = frozenset()
    #: the same for the enumerators on shift with the refusal-conversion skill
    converter_on_shift: bool = False
    converters_speak_all: bool = False
    converters_speak: frozenset[str] = frozenset()


def on_shift(session: Session, now: datetime, cache_seconds: float = 0.0) -> Shift:
    """Who is on shift, as ``Shift``; believed for ``cache_seconds`` by this process (one
    entry per database). A sign-in, sign-out or change of languages or skills made through
    this process empties the cache at once; one made through another worker shows within
    ``cache_seconds``."""
    key = str(session.get_bind().engine.url)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    shift = _read_shift(session, now)
    if cache_seconds > 0:
        _CACHE[key] = (time.monotonic() + cache_seconds, shift)
    return shift


def _read_shift(session: Session, now: datetime) -> Shift:
    """One query: the languages and skills of every enumerator on shift."""
    rows = session.execute(on_shift_enumerators(now).with_only_columns(
        User.languages, User.skills)).all()
    speakers = [(frozenset(languages or ()), REFUSAL_CONVERSION in (skills or ()))
                for languages, skills in rows]
    converters = [languages for languages, converts in speakers if converts]
    return Shift(
        speaks_all=any(not languages for languages, _ in speakers),
        spoken=frozenset().union(*(languages for languages, _ in speakers)),
        converter_on_shift=bool(converters),
        converters_speak_all=any(not languages for languages in converters),
        converters_speak=frozenset().union(*converters))


#: per process: database URL -> (monotonic expiry, Shift)
_CACHE: dict[str, tuple[float, Shift]] = {}
_WATCHED = {User.__tablename__, AuthToken.__tablename__}


@event.listens_for(Session, "before_flush")
def _forget_on_flush(session: Session, _context: object, _instances: object) -> None:
    if _CACHE and any(isinstance(o, (User, AuthToken)) for o in (*session.new, *session.dirty)):
        _CACHE.clear()


@event.listens_for(Session, "do_orm_execute")
def _forget_on_update(state: ORMExecuteState) -> None:
    if _CACHE and (state.is_update or state.is_delete) \
            and getattr(getattr(state.statement, "table", None), "name", None) in _WATCHED:
        _CACHE.clear()


@dataclass(frozen=True)
class Claimer:
    """The claimer's own languages (empty: every language) and skills."""

    languages: frozenset[str]
    skills: frozenset[str]

    def speaks(self, language: str) -> bool:
        return not self.languages or language in self.languages or language in UNKNOWN


def parameters(claimer: Claimer, shift: Shift, now: datetime, language_wait: timedelta
               ) -> dict[str, object]:
    """The values of ``may_take``'s bound parameters for one claim."""
    converter = REFUSAL_CONVERSION in claimer.skills
    return {
        "r_speaks_all": not claimer.languages,
        "r_languages": sorted(claimer.languages | UNKNOWN),
        # the claimer is on shift too (an empty list of theirs covers every language)
        "r_covered_all": shift.speaks_all or not claimer.languages,
        "r_covered": sorted(shift.spoken | claimer.languages | UNKNOWN),
        "r_wait_start": now - language_wait,
        "r_conversion_free": converter or not shift.converter_on_shift,
        "r_converters_all": shift.converters_speak_all,
        "r_converters": sorted(shift.converters_speak | UNKNOWN)
        if shift.converter_on_shift else [],
    }


@cache
def may_take() -> ColumnElement[bool]:
    """Language, conversion and do-not-call conditions on a queued case, with the parameters
    of ``parameters`` (built once per process)."""
    language = Case.language
    speaks = or_(bindparam("r_speaks_all", type_=Boolean()),
                 language.in_(bindparam("r_languages", expanding=True)))
    waited = and_(not_(bindparam("r_covered_all", type_=Boolean())),
                  language.not_in(bindparam("r_covered", expanding=True)),
                  func.coalesce(Case.next_call_at, Case.created_at)
                  <= bindparam("r_wait_start", type_=Case.next_call_at.type))
    # the claimer's own hard appointment: they have already talked with the respondent
    booked_by_me = and_(Case.appointment_kind == _constant("hard"),
                        Case.appointment_by == bindparam("user_id", type_=Integer()))
    # a soft refusal whose retry is due; one with an appointment since is not to convert
    for_converters = and_(
        func.coalesce(Case.disposition, _constant("")) == _constant(SOFT_REFUSAL),
        Case.pool == _constant("retry"),
        or_(bindparam("r_converters_all", type_=Boolean()),
            language.in_(bindparam("r_converters", expanding=True))))
    conversion_ok = or_(bindparam("r_conversion_free", type_=Boolean()), not_(for_converters))
    return and_(or_(speaks, waited, booked_by_me), conversion_ok, has_callable_phone())


def has_callable_phone() -> ColumnElement[bool]:
    """At least one of the case's numbers is not on the do-not-call register (one index probe
    of ``ix_do_not_call_phone`` per number, and the register is small)."""
    return or_(*[_callable(phone) for phone in (Case.phone1, Case.phone2, Case.phone3)])


def _callable(phone: Any) -> ColumnElement[bool]:
    return and_(phone.is_not(None), phone != _constant(""), not_(blocked(phone)))


def _constant(value: str) -> ColumnElement[str]:
    """Written into the statement (see ``claim_order.constant``)."""
    return literal(value, String(), literal_execute=True)


def blocked(phone: Any) -> ColumnElement[bool]:
    """Whether ``phone`` (a column or expression) is on the register now."""
    return exists(sql_select(DoNotCall.id).where(DoNotCall.phone == phone,
                                                 DoNotCall.removed_at.is_(None)))
