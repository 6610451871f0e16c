"""HTTP client of the sync protocol (DESIGN.md §4): one method per endpoint, pydantic models in
and out, every failure turned into one of four errors a person (or the sync engine) can act on.

Every request carries explicit connect and read timeouts. urllib3 retries only connection
errors (the request never reached the server, so repeating it is harmless); everything else
is left to the sync engine's own loop with backoff. Nothing here logs names, phone numbers or
tokens: log lines carry paths, status codes and counts only.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote

import requests
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from cati_app.core.protocol import (
    AckRequest,
    AckResponse,
    ClaimRequest,
    ClaimResponse,
    Hello,
    PulledPage,
    PushRequest,
    PushResponse,
    SnapshotRequest,
    SnapshotResponse,
    TokenRequest,
    TokenResponse,
)

log = logging.getLogger(__name__)

Model = TypeVar("Model", bound=BaseModel)

#: a connection that cannot be opened within this time will not open at all
MAX_CONNECT_TIMEOUT = 5.0
CONNECTION_RETRIES = 2


class ApiError(Exception):
    """A request did not succeed; ``str(error)`` is a message for the person at the screen."""


class AuthExpired(ApiError):
    """401: the token is missing, expired or revoked (or the login was refused). Log in again;
    local data is kept."""


class Throttled(ApiError):
    """429: too many requests; try again after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerUnavailable(ApiError):
    """The server could not be reached or could not answer (refused, reset, timeout, 5xx, a
    reply that is not ours). Nothing is lost: try again later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RequestRejected(ApiError):
    """Another 4xx: the server understood the request and refused it, saying why."""

    def __init__(self, message: str, status: int, error: str = "",
                 fields: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.fields = fields or []


class ApiClient:
    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 15.0,
                 connect_timeout: float | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        connect = connect_timeout if connect_timeout is not None else timeout
        self.timeouts = (min(connect, MAX_CONNECT_TIMEOUT), timeout)
        self.session = _make_session()

    def close(self) -> None:
        self.session.close()

    # --- endpoints -----------------------------------------------------------------------

    def login(self, username: str, password: str, device_id: str) -> TokenResponse:
        body = TokenRequest(username=username, password=password, device_id=device_id)
        reply = self.request("POST", "/v1/auth/token", TokenResponse, body=body,
                             authenticated=False)
        self.token = reply.access_token
        return reply

    def hello(self) -> Hello:
        return self.request("GET", "/v1/sync/hello", Hello)

    def claim(self, request_uuid: str, device_id: str, max_cases: int) -> ClaimResponse:
        body = ClaimRequest(request_uuid=uuid.UUID(request_uuid), device_id=device_id,
                            max_cases=max_cases)
        reply = self.request("POST", "/v1/queue/claim", ClaimResponse, body=body)
        log.info("claim %s: %d cases in grant %s", request_uuid, len(reply.cases), reply.grant_id)
        return reply

    def ack(self, grant_id: str, case_ids: list[int]) -> AckResponse:
        body = AckRequest(grant_id=grant_id, case_ids=case_ids)
        return self.request("POST", "/v1/queue/ack", AckResponse, body=body)

    def push(self, request: PushRequest) -> PushResponse:
        reply = self.request("POST", "/v1/sync/push", PushResponse, body=request)
        log.info("push batch %s: %d items sent, %d results", request.batch_uuid,
                 len(request.items), len(reply.results))
        return reply

    def pull(self, cursor: str, limit: int = 200) -> PulledPage:
        return self.request("GET", "/v1/sync/pull", PulledPage,
                            params={"cursor": cursor, "limit": limit})

    def snapshot(self, device_id: str) -> SnapshotResponse:
        body = SnapshotRequest(device_id=device_id)
        reply = self.request("POST", "/v1/sync/snapshot", SnapshotResponse, body=body)
        log.info("snapshot: %d cases (%d handed over, %d kept on another device), cursor %s",
                 len(reply.cases), reply.handed_over, reply.kept_on_other_device, reply.cursor)
        return reply

    def questionnaire(self, qid: str, version: int) -> dict[str, Any]:
        path = f"/v1/questionnaires/{quote(qid, safe='')}/{int(version)}"
        data = self.send("GET", path).json()
        if not isinstance(data, dict):
            raise ServerUnavailable("the server sent a questionnaire that is not a JSON object")
        return data

    # --- requests (also used by SupervisorApi) ------------------------------------------------

    def request(self, method: str, path: str, reply: type[Model], *,
                body: BaseModel | None = None, params: Mapping[str, Any] | None = None,
                authenticated: bool = True, **options: Any) -> Model:
        """Send a request and read its reply as ``reply``. ``body`` goes as compact JSON;
        ``options`` are those of ``send`` (an upload's ``files`` and ``data``, a longer
        ``read_timeout``). A reply that does not match ``reply`` is ``ServerUnavailable``."""
        if body is not None:
            options["data"] = _dump(body)
        response = self.send(method, path, params=params, authenticated=authenticated,
                             **options)
        try:
            return reply.model_validate_json(response.content)
        except ValidationError as exc:
            log.warning("%s %s: reply does not match %s (%d problems)", method, path,
                        reply.__name__, exc.error_count())
            raise ServerUnavailable(
                f"the server at {self.base_url} sent a reply this app cannot read: check the "
                "server address, or update the app if the server is newer") from None

    def send(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             authenticated: bool = True, content_type: str | None = "application/json",
             read_timeout: float | None = None, **options: Any) -> requests.Response:
        """The raw reply of a request that succeeded (a download streams it with
        ``stream=True``); every failure is an ``ApiError``. ``content_type=None`` lets
        requests set it (multipart uploads); ``read_timeout`` overrides the default for a
        request the server needs longer to answer (an import). ``options`` go to
        ``requests`` as they are (``data``, ``files``, ``stream``)."""
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        timeouts = self.timeouts if read_timeout is None else (self.timeouts[0], read_timeout)
        if authenticated:
            if not self.token:
                raise AuthExpired("log in first: this app has no session with the server")
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self.session.request(method, self.base_url + path, headers=headers,
                                            params=params, timeout=timeouts, **options)
        except requests.Timeout:
            log.info("%s %s: timed out", method, path)
            raise ServerUnavailable(
                f"the server at {self.base_url} did not answer in time: the connection may be "
                "slow or down; your work is kept and will be sent later") from None
        except requests.RequestException as exc:
            log.info("%s %s: %s", method, path, type(exc).__name__)
            raise ServerUnavailable(
                f"cannot reach the server at {self.base_url}: check the internet connection; "
                "your work is kept and will be sent later") from None
        if response.status_code >= 400:
            log.info("%s %s: HTTP %d", method, path, response.status_code)
            raise error_for(response)
        return response


def _make_session() -> requests.Session:
    session = requests.Session()
    # connect errors only (read=False re-raises timeouts as they are); 5xx go to our backoff
    retry = Retry(total=CONNECTION_RETRIES, connect=CONNECTION_RETRIES, read=False, status=0,
                  other=0, backoff_factor=0.3, raise_on_status=False,
                  allowed_methods=frozenset({"GET", "POST"}))
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _dump(model: BaseModel) -> bytes:
    # compact JSON, as the store measures it when it fills a batch up to max_batch_bytes
    return model.model_dump_json().encode()


def error_for(response: requests.Response) -> ApiError:
    """Map an HTTP error reply to the ApiError the caller can act on."""
    status = response.status_code
    error, detail, fields = _error_body(response)
    if status == 401:
        return AuthExpired(detail or "log in again: your session has expired or was revoked; "
                                     "your work on this computer is kept")
    if status == 429:
        wait = retry_after_seconds(response.headers.get("Retry-After")) or 60.0
        return Throttled(detail or f"too many requests: try again in {wait:.0f} seconds", wait)
    if status >= 500:
        retry = retry_after_seconds(response.headers.get("Retry-After"))
        return ServerUnavailable(
            f"the server had a problem (HTTP {status}){': ' + detail if detail else ''}; "
            "your work is kept and will be sent later", retry)
    return RequestRejected(detail or f"the server refused the request (HTTP {status})",
                           status, error, fields)


def _error_body(response: requests.Response) -> tuple[str, str, list[dict[str, Any]]]:
    try:
        data = response.json()
    except ValueError:
        return "", "", []
    if not isinstance(data, dict):
        return "", "", []
    detail = data.get("detail")
    raw_fields = data.get("fields")
    fields = raw_fields if isinstance(raw_fields, list) else []
    return str(data.get("error") or ""), detail if isinstance(detail, str) else "", fields


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After is either a number of seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
