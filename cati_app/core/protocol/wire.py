"""What every wire model shares: the version and batch limits, times as ISO 8601 strings in
UTC, request models that refuse unknown fields (``Strict``), pushed payloads that ignore them
and clean their text (``Lenient``), and the error body."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator

from cati_app.core.clock import as_utc
from cati_app.core.safe_text import clean_nested, has_nul, needs_cleaning

API_VERSION = "1"
MAX_ITEMS_PER_BATCH = 200
MAX_BATCH_BYTES = 4 * 1024 * 1024
#: lists or mappings nested in one pushed payload (itself level 1; answers need 4). Deeper is
#: refused for that item, and what is kept of it is cut here, before anything walks it: a
#: body ~1,000 levels deep would otherwise exhaust Python's recursion limit in the hashing
#: and the quarantine (a 500 for the whole batch).
MAX_PAYLOAD_DEPTH = 16
_TOO_DEEP = "__nested_too_deep__"

#: "2026-06-02T10:00" at least: a date, a time, optional seconds, fraction and offset
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_string(value: Any) -> Any:
    """Pydantic would take a number (or a string of digits) as Unix time: a client's bug
    that stores a wrong time silently. On the wire a time is an ISO 8601 string."""
    if isinstance(value, datetime):
        return value  # built in Python (the server's own answers, the client's store)
    if not isinstance(value, str) or not _ISO_DATETIME.match(value.strip()):
        raise ValueError("a time must be an ISO 8601 string such as "
                         "2026-06-02T10:00:00+06:00, not a number")
    return value


UtcDatetime = Annotated[datetime, BeforeValidator(_iso_string), AfterValidator(as_utc)]
"""Every timestamp on the wire is an ISO 8601 string in UTC; a naive one is taken as UTC."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # PostgreSQL cannot hold a NUL (it failed with a misleading "number out of range")
        # and SQLite would keep one silently. Only the request's own text fields: a pushed
        # payload is judged item by item (Lenient), so one bad item never refuses a batch.
        if isinstance(data, dict) and any(isinstance(v, str) and "\x00" in v
                                          for v in data.values()):
            raise ValueError("a text field contains a NUL character (\\0): remove it")
        return data


class Lenient(BaseModel):
    """A pushed payload: its text is cleaned on the way in (docs/api.md "Input limits")."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _inbound_text(cls, data: Any) -> Any:
        # A NUL cannot be stored by PostgreSQL and a client never means one: the item is
        # refused (and kept aside). Other characters a workbook cannot hold are cleaned here,
        # so what is stored can always be exported: a pasted vertical tab is a line break.
        if not isinstance(data, dict):
            return data
        if _TOO_DEEP in data:
            raise ValueError(f"lists or mappings nest more than {MAX_PAYLOAD_DEPTH} levels "
                             "deep in this item")
        if not needs_cleaning(data):  # the everyday payload: nothing to clean, no copy
            return data
        if has_nul(data):
            raise ValueError("the text contains a NUL character (\\0), which cannot be "
                             "stored: the item is kept in quarantine for a supervisor")
        return clean_nested(data)



class ErrorBody(BaseModel):
    """Every 4xx/5xx answer of the API has this shape."""

    error: str
    detail: str
    fields: list[dict[str, Any]] = []
