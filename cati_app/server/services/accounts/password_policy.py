"""What a new or reset password must be (DESIGN §5, issue 11): long enough (longer for
admins), not a common password, not built on the username.

Surrounding whitespace: every API body strips it (``Strict`` models), the login's too, so a
password is always compared without it. The CLI strips it the same way before it gets here.
This module refuses what is left over (a caller that forgot to strip), because such a
password could never be typed at the login.
"""

from __future__ import annotations

import re

from cati_app.core.protocol import Role
from cati_app.server.errors import Unprocessable
from cati_app.server.services.accounts.common_passwords import COMMON_PASSWORDS

MIN_LENGTH = 10
MIN_LENGTH_ADMIN = 12
#: what a "base word + year + !" password looks like once its tail is cut off
_TAIL = re.compile(r"[\d\W_]+$")


def common_passwords() -> frozenset[str]:
    return COMMON_PASSWORDS


def problem(password: str, *, username: str, role: Role | str) -> str | None:
    """Why the password is refused, in words the admin can act on, or None."""
    minimum = MIN_LENGTH_ADMIN if Role(role) == Role.admin else MIN_LENGTH
    if password != password.strip():
        return "a password cannot start or end with a space or a tab"
    if len(password) < minimum:
        who = "an administrator's" if Role(role) == Role.admin else "a"
        return f"{who} password needs at least {minimum} characters"
    folded = password.casefold()
    name = username.strip().casefold()
    if len(name) >= 3 and (name in folded or folded in name or name[::-1] in folded):
        return "the password cannot contain the username"
    if folded in common_passwords() or _TAIL.sub("", folded) in common_passwords():
        return "that password is one of the most common ones: choose a less guessable one"
    if len(set(folded)) < 4:
        return "the password needs more different characters"
    return None


def check(password: str, *, username: str, role: Role | str) -> None:
    reason = problem(password, username=username, role=role)
    if reason is not None:
        raise Unprocessable(reason, fields=[{"loc": ["body", "password"], "msg": reason}])
