"""The web scorecard's session: a cookie holding an API token, and CSRF tokens for its forms.

The session is an ordinary API token (``auth_tokens``: 256 bits, only its hash stored,
expiring, revocable, bound to the device ``web``), so the pages share the API's accounts,
roles, login throttling and revocation. The cookie is HttpOnly (no script reads it),
SameSite=Strict (no other site's page sends it) and Secure when ``CATI_SECURE_COOKIES`` says
the server is reached over TLS.

CSRF: a signed-in form carries an HMAC of the session token (a value only pages served to
this session can know); the login form, before any session exists, carries the value of a
random cookie set with the form (double submit). Either is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from cati_app.server.settings import Settings

SESSION_COOKIE = "cati_session"
LOGIN_CSRF_COOKIE = "cati_login_csrf"
LANGUAGE_COOKIE = "cati_lang"
COOKIE_PATH = "/scorecard"
#: the device every web session is bound to (an admin may revoke it like any device)
WEB_DEVICE = "web"


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def csrf_for(token: str) -> str:
    """The CSRF token of a signed-in session's forms."""
    return hmac.new(token.encode(), b"scorecard form", hashlib.sha256).hexdigest()


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def set_cookie(response: Response, settings: Settings, name: str, value: str,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=settings.secure_cookies)


def clear_cookie(response: Response, settings: Settings, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict",
                           secure=settings.secure_cookies)
