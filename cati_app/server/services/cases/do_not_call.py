"""The do-not-call register (issue 15, DESIGN.md §9.1): numbers never dialled or texted.

Checked at every draw, import and claim. ``blocked_numbers`` is the one query they share.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.server.models import DoNotCall


def blocked_numbers(session: Session, phones: Iterable[str]) -> set[str]:
    """Which of ``phones`` (E.164) are on the register now (not removed)."""
    wanted = sorted(set(phones))
    if not wanted:
        return set()
    return set(session.scalars(select(DoNotCall.phone).where(
        DoNotCall.phone.in_(wanted), DoNotCall.removed_at.is_(None))))


def numbers_in_force(session: Session) -> set[str]:
    """Every number on the register now: an import checks each row against it in memory
    (one read, however many rows; the register is small beside a call list)."""
    return set(session.scalars(select(DoNotCall.phone).where(DoNotCall.removed_at.is_(None))))
