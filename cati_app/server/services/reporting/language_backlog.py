"""The call room's backlog by language and by skill (issue 18) for the supervisor's room bar:
queued cases per respondent language, the soft refusals among them waiting for conversion,
and who is on shift to call them (``accounts.presence``, the one definition of on shift).

A soft refusal "waits for conversion" while it is queued with a soft refusal as its
provisional disposition: the one second try the rules allow (DESIGN.md §3.2) is due or
coming, and the claim routes it to an enumerator with the conversion skill when one is on
shift. Counts only, by the database; enumerators on shift are few, so their languages are
counted here rather than in SQL (a JSON list column reads differently on each backend).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from cati_app.core.languages import ANY, LANGUAGES, REFUSAL_CONVERSION
from cati_app.core.protocol_supervision import LanguageBacklog
from cati_app.server.models import Case, CaseState
from cati_app.server.services.accounts.presence import on_shift_enumerators

SOFT_REFUSAL = "soft_refusal"


@dataclass(frozen=True)
class Backlog:
    languages: list[LanguageBacklog]
    conversions_waiting: int
    converters_on_shift: int
    on_shift: int


def language_backlog(session: Session, now: datetime) -> Backlog:
    queued = session.execute(
        select(Case.language, func.count(),
               func.sum(case((Case.disposition == SOFT_REFUSAL, 1), else_=0)))
        .where(Case.state == CaseState.QUEUED)
        .group_by(Case.language)).all()
    cases = {language: (count, int(refusals or 0)) for language, count, refusals in queued}
    people = session.scalars(on_shift_enumerators(now)).all()
    speakers = Counter(code for person in people for code in set(person.languages or []))
    converters = sum(REFUSAL_CONVERSION in (person.skills or []) for person in people)
    # the four languages always (a language with no cases is news too), then "any" and any
    # other code a case carries (an older import), so every queued case is counted once
    codes = [*LANGUAGES, ANY, *sorted(set(cases) - set(LANGUAGES) - {ANY})]
    rows = [LanguageBacklog(language=code, queued=cases.get(code, (0, 0))[0],
                            conversions_waiting=cases.get(code, (0, 0))[1],
                            on_shift=len(people) if code == ANY else speakers[code])
            for code in codes]
    return Backlog(rows, sum(r.conversions_waiting for r in rows), converters, len(people))
