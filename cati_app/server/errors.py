"""Domain errors carry their HTTP status; one handler turns them into the ErrorBody shape.

Services raise these; endpoints never build error responses by hand.
"""

from __future__ import annotations

from typing import Any

from cati_app.core.protocol import ErrorBody


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for routes that answer these codes with the ErrorBody shape."""
    return {code: {"model": ErrorBody} for code in codes}


class CatiError(Exception):
    status_code = 400
    error = "bad_request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None,
                 fields: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.fields = fields or []


class BadRequest(CatiError):
    pass


class Unauthorized(CatiError):
    status_code = 401
    error = "unauthorized"

    def __init__(self, detail: str = "log in again: the token is missing, expired or revoked"):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(CatiError):
    status_code = 403
    error = "forbidden"


class NotFound(CatiError):
    status_code = 404
    error = "not_found"


class Conflict(CatiError):
    status_code = 409
    error = "conflict"


class CursorAhead(Conflict):
    """A pull cursor beyond the end of the caller's feed: take a fresh snapshot."""

    error = "cursor_ahead"


class PayloadTooLarge(CatiError):
    status_code = 413
    error = "payload_too_large"


class Unprocessable(CatiError):
    status_code = 422
    error = "invalid"


class TooManyRequests(CatiError):
    status_code = 429
    error = "too_many_requests"

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_seconds))})


class ServiceUnavailable(CatiError):
    status_code = 503
    error = "retry_later"

    def __init__(self, detail: str, retry_after_seconds: int = 2) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_seconds)})
