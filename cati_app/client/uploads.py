"""Uploading a file (a call list, a frame) as a multipart form, with the two failures a person
can act on said in words: a file that cannot be read, and one larger than the server takes."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from cati_app.client.api import ApiClient, ApiError, RequestRejected

#: a large workbook takes the server a while to check, row by row
IMPORT_READ_TIMEOUT = 600.0
M = TypeVar("M", bound=BaseModel)


def upload(api: ApiClient, route: str, model: type[M], path: Path, form: dict[str, str], *,
           if_too_large: str) -> M:
    """POST ``path`` to ``route`` with ``form``; ``if_too_large`` says what to do on 413."""
    try:
        with path.open("rb") as stream:
            return api.request("POST", route, model, content_type=None,
                               read_timeout=IMPORT_READ_TIMEOUT,
                               files={"file": (path.name, stream)}, data=form)
    except OSError as exc:
        raise ApiError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    except RequestRejected as exc:
        if exc.status == 413:
            size = path.stat().st_size / 1_000_000
            raise RequestRejected(f"{path.name} ({size:.1f} MB) is larger than the server "
                                  f"accepts: {if_too_large}", 413, exc.error) from None
        raise
