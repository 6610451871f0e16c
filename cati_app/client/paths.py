"""Where the client keeps its files: the user data directory, the device id and one local
database per (operating-system user, enumerator, server)."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path

import platformdirs

APP_NAME = "serve-cati"
DEVICE_ID_FILE = "device_id"
STORES_DIR = "stores"
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
#: keeps the readable part of a file name well inside every file system's limits
_MAX_READABLE = 40


def data_dir() -> Path:
    """The user data directory (per operating-system user), created if missing."""
    path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def device_id(data_dir: Path) -> str:
    """This installation's id: a uuid4 made on first run and kept in a file.

    Written to a temporary file and renamed into place, so a crash never leaves a half-written
    id; a file that is unreadable as a uuid (edited by hand) is replaced by a fresh id."""
    path = Path(data_dir) / DEVICE_ID_FILE
    existing = _read_uuid(path)
    if existing is not None:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = str(uuid.uuid4())
    temporary = path.with_name(f"{DEVICE_ID_FILE}.{os.getpid()}.tmp")
    temporary.write_text(fresh + "\n", encoding="ascii")
    os.replace(temporary, path)
    return fresh


def database_path(data_dir: Path, server_url: str, username: str) -> Path:
    """The local database of ``username`` on ``server_url``: a readable, file-system-safe
    name plus a short hash of the exact pair, so two pairs never share a file."""
    server = _normalise_server(server_url)
    if not username.strip():
        raise ValueError("a username is needed to find the local database")
    digest = hashlib.sha256(f"{server}\n{username}".encode()).hexdigest()[:12]
    host = server.split("://", 1)[-1]
    readable = f"{_safe(host)}-{_safe(username)}"[:_MAX_READABLE]
    return Path(data_dir) / STORES_DIR / f"{readable}-{digest}.sqlite3"


def _normalise_server(server_url: str) -> str:
    server = server_url.strip().rstrip("/")
    if not server:
        raise ValueError("a server address is needed to find the local database")
    scheme, sep, rest = server.partition("://")
    if not sep:
        return server.lower()
    host, slash, path = rest.partition("/")
    # scheme and host are case-insensitive; a path is not
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text.strip().lower()).strip("._") or "x"


def _read_uuid(path: Path) -> str | None:
    try:
        return str(uuid.UUID(path.read_text(encoding="ascii").strip()))
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return None
