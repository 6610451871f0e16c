"""The accounts that hold cases for the self-completion channels (issue 17): ``sms-channel`` and
``web-channel``.

An SMS-first case is *held* by the SMS channel's account while it waits for an answer, exactly
as an enumerator holds a case: no claim takes it, the supervisor sees who holds it, and an
answer arriving through the channel is a push by that holder at the assignment version it was
given. When the deadline passes the case returns to the pool, so an answer that comes later is
a stale completion and follows the conflict rules of DESIGN.md §4, like any late answer.

The accounts are inactive and have no password (``!`` is no Argon2 hash, so no password
matches): nobody can sign in as a channel.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cati_app.core.protocol import Role
from cati_app.server.models import User

Channel = Literal["sms", "web"]
NAMES = {"sms": "SMS channel", "web": "Web questionnaire"}


def username(channel: Channel) -> str:
    return f"{channel}-channel"


#: the channels' accounts, which lists of people's holds leave out (a case waits days there)
USERNAMES = (username("sms"), username("web"))


def channel_user_id(session: Session, channel: Channel, at: datetime) -> int:
    """The channel's account, made the first time a case is handed to it."""
    found = session.scalar(select(User.id).where(User.username == username(channel)))
    if found is not None:
        return found
    user = User(username=username(channel), full_name=NAMES[channel],
                role=Role.enumerator.value, password_hash="!", active=False, created_at=at,
                feed_seq=0)
    session.add(user)
    session.flush()
    return user.id
