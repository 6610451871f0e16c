"""A case's language learnt on a call (issue 18): the enumerator codes "language barrier:
needs a speaker of X" (outcome ``language_needed``, AAPOR 2.33, temporary), the case takes X
and goes back to the queue at once, where the claim routes it to someone who speaks X.

Decisions (docs/api.md, "Language referrals"):
- the enumerator who referred the case is not offered it again by a claim (as after a
  release): they have just found they cannot interview the respondent, and the starvation
  fallback would otherwise hand it straight back;
- the call spares the attempt cap (``core.scheduling``): the respondent was reached;
- only the current holder's referral moves the case; a former holder's is stored, stale,
  like any late call, and the case keeps its language.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cati_app.core.languages import LANGUAGES
from cati_app.server.audit import audit
from cati_app.server.models import Case, CaseState
from cati_app.server.services.cases import assignments, exclusions


def set_language(session: Session, case: Case, language: str, *, at: datetime,
                 by: int | None, device_id: str = "", why: str) -> None:
    """Give the case ``language`` (a code of core.languages), audited with before and after;
    the same language again records nothing."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    if case.language == language:
        return
    audit(session, at=at, user_id=by, device_id=device_id, action="case.language",
          entity="case", entity_id=case.id,
          details={"before": case.language, "after": language, "why": why})
    case.language = language
    case.updated_at = at


def refer(session: Session, case: Case, language: str, *, at: datetime, by: int,
          device_id: str) -> None:
    """The holder's referral: the case's language is set and, unless the call closed the case,
    it returns to the pool for a speaker of it."""
    set_language(session, case, language, at=at, by=by, device_id=device_id,
                 why="language_needed")
    if case.state != CaseState.HELD or case.holder_id != by:
        return
    needs = f"language barrier: needs a {LANGUAGES[language]} speaker"
    assignments.return_to_pool(session, case, at=at, by=by, device_id=device_id,
                               reason=f"{assignments.RELEASED}: {needs}")
    exclusions.exclude(session, case.id, by, reason=exclusions.RELEASED, detail=needs, at=at)
