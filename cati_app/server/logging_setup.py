"""Server logs: JSON lines (one object per line) for log shippers, or plain text on a terminal.

Every record logged while a request is served carries that request's id (a context variable
set by :mod:`cati_app.server.request_log`). Personal data never reaches the log (DESIGN §5):
the access line names the path without its query string, and exceptions are written as their
type and stack frames only, because exception messages can quote SQL parameters (names,
phone numbers) or request bodies.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import sys
import traceback
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

LOG_FORMATS = ("json", "text")
#: fields an access record may carry (passed with ``extra=``), in the order they are written
REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id")

#: what logging hands a formatter as ``exc_info`` (typeshed's private ``_SysExcInfoType``)
SysExcInfo = (tuple[type[BaseException], BaseException, TracebackType | None]
              | tuple[None, None, None])


@dataclass
class RequestInfo:
    """What is known about the request being served; the user is filled in once known."""

    request_id: str
    user_id: int | None = None


current_request: ContextVar[RequestInfo | None] = ContextVar("cati_request", default=None)


def note_user(user_id: int) -> None:
    """Record who is making the current request, for its access log line.

    Called where the bearer token is resolved. The RequestInfo object is shared with the
    middleware's context, so this works from the thread pool that runs sync dependencies.
    """
    info = current_request.get()
    if info is not None:
        info.user_id = user_id


class RequestContextFilter(logging.Filter):
    """Stamp the current request's id (and user, when known) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = current_request.get()
        if info is not None:
            if getattr(record, "request_id", None) is None:
                record.request_id = info.request_id
            if getattr(record, "user_id", None) is None and info.user_id is not None:
                record.user_id = info.user_id
        return True


def _safe_exception(exc_info: SysExcInfo) -> str:
    """The exception's type and where it was raised, without its message (see module doc)."""
    exc_type, _exc, tb = exc_info
    if exc_type is None:  # logging.exception() with no exception being handled
        return "NoneType: None"  # what logging itself writes then
    frames = "".join(traceback.format_tb(tb))
    return f"Traceback (most recent call last):\n{frames}{exc_type.__name__} (message withheld)"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = _safe_exception(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{name}={getattr(record, name)}" for name in REQUEST_FIELDS
                          if getattr(record, name, None) is not None)
        return f"{line} [{extras}]" if extras else line

    def formatException(self, ei: SysExcInfo) -> str:  # noqa: N802 - logging's name
        return _safe_exception(ei)


def default_format(stream: Any = None) -> str:
    """JSON for services and pipes; text when a person watches a terminal."""
    stream = stream or sys.stderr
    return "text" if getattr(stream, "isatty", lambda: False)() else "json"


def logging_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary. uvicorn applies it in every worker process
    (``uvicorn.run(log_config=...)``), so spawned workers log the same way as the parent."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r}: use one of {', '.join(LOG_FORMATS)}")
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestContextFilter}},
        "formatters": {"main": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "main", "filters": ["request"]}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # uvicorn's own loggers go through ours; its access log stays off (query strings).
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            # Alembic announces its dialect on every health check's schema read.
            "alembic": {"level": "WARNING"},
        },
    }


def configure_logging(log_format: str, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(log_format, level))


def configured_by_us() -> bool:
    return any(isinstance(f, RequestContextFilter)
               for handler in logging.getLogger().handlers for f in handler.filters)


def ensure_logging() -> None:
    """Configure the project's logging unless it is configured already.

    For a worker started by bare ``uvicorn --factory ...app_from_env``: uvicorn has set up
    its own logging there, access log included, which writes every query string (a
    supervisor's name search). Replacing it here, before the first request, makes that
    command log exactly as ``cati-server serve`` does. Under ``cati-server serve`` the
    configuration is ours already and is left alone. ``CATI_LOG_FORMAT`` (json or text)
    chooses the format; the default follows :func:`default_format`.
    """
    if configured_by_us():
        return
    configure_logging(os.environ.get("CATI_LOG_FORMAT") or default_format())
