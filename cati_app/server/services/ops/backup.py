"""``cati-server backup PATH``: a consistent copy of the database while the server runs.

SQLite: the online backup API copies the live database page by page (readers and writers carry
on), into a temporary file that is checked with ``PRAGMA integrity_check`` and only then renamed
to PATH, so PATH is never a half-written copy. PostgreSQL: ``pg_dump`` in its custom format
(restore with ``pg_restore``), run with the connection parameters of CATI_DATABASE_URL; the
password travels in the environment, never on the command line where ``ps`` shows it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import URL, make_url

#: pages copied per step of the SQLite online backup; writers get the lock between steps
SQLITE_PAGES_PER_STEP = 1024


class BackupError(RuntimeError):
    """A backup that could not be made; the message says what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    detail: str

    def summary(self) -> str:
        return f"backup written: {self.path} ({self.bytes:,} bytes; {self.detail})"


def backup(database_url: str, target: Path) -> BackupResult:
    url = make_url(database_url)
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name "
                          "(a backup never overwrites another)")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    if url.get_backend_name() == "sqlite":
        return backup_sqlite(_sqlite_path(url), target)
    return backup_postgres(url, target)


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    path = Path(url.database)
    if not path.is_file():
        raise BackupError(f"there is no database at {path}: check CATI_DATABASE_URL")
    return path


def backup_sqlite(source: Path, target: Path) -> BackupResult:
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        _copy_online(source, partial)
        tables = _verify(partial)
        partial.replace(target)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the backup failed: {exc}; the database itself is untouched") from None
    return BackupResult(target, target.stat().st_size,
                        f"integrity check ok, {tables} tables")


def _copy_online(source: Path, target: Path) -> None:
    # A URI with mode=ro: the backup can never write to the live database.
    live = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        live.backup(copy, pages=SQLITE_PAGES_PER_STEP)
        # One self-contained file: no -wal/-shm companions to forget when copying it around.
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        live.close()


def _verify(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        verdict = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if verdict != ["ok"]:
            raise sqlite3.DatabaseError("integrity check of the copy: " + "; ".join(verdict[:5]))
        return int(connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])
    finally:
        connection.close()


# --- PostgreSQL -----------------------------------------------------------------------------


#: extensions the schema needs (the case search's trigram index, migration 0006_h6). A dump of
#: one schema leaves extensions out (they belong to the database), so a restore into a new
#: database would lose that index; ``--extension`` (pg_dump 14 or newer) puts them back in.
SCHEMA_EXTENSIONS = ("pg_trgm",)


def pg_dump_command(url: URL, target: Path, *, with_extensions: bool = True
                    ) -> tuple[list[str], dict[str, str]]:
    """The pg_dump command line and the extra environment (password) for this database."""
    args = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    schema = _search_path_schema(url)
    if schema:
        args.append(f"--schema={schema}")
        if with_extensions:
            args += [f"--extension={name}" for name in SCHEMA_EXTENSIONS]
    args.append(f"--dbname={url.database or 'postgres'}")
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, env


def _search_path_schema(url: URL) -> str | None:
    """A URL with ``options=-csearch_path=NAME`` keeps its tables in that schema: dump it."""
    options = url.query.get("options")
    text = unquote(options if isinstance(options, str) else " ".join(options or ()))
    for part in text.split():
        if part.startswith("-csearch_path="):
            return part.removeprefix("-csearch_path=").split(",")[0] or None
    return None


def _pg_dump_major() -> int:
    """The major version of the pg_dump on the PATH ("pg_dump (PostgreSQL) 15.20 ..."), 0 when
    it cannot be read."""
    done = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True,
                          check=False)
    found = re.search(r"\)\s*(\d+)", done.stdout)
    return int(found.group(1)) if found else 0


def pg_dump_recipe(url: URL, target: Path) -> str:
    args, env = pg_dump_command(url, target)
    password = "PGPASSWORD=... " if env else ""
    return password + shlex.join(args)


def backup_postgres(url: URL, target: Path) -> BackupResult:
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed here (package postgresql-client). Run "
                          f"this where it is:\n  {pg_dump_recipe(url, target)}")
    args, env = pg_dump_command(url, target, with_extensions=_pg_dump_major() >= 14)
    done = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"pg_dump failed: {reason}")
    listing = subprocess.run(["pg_restore", "--list", str(target)], capture_output=True,
                             text=True, check=False) if shutil.which("pg_restore") else None
    if listing is not None and listing.returncode != 0:
        raise BackupError(f"pg_restore cannot read the dump {target}: "
                          f"{listing.stderr.strip()[:200]}")
    entries = (sum(1 for line in listing.stdout.splitlines() if " TABLE DATA " in line)
               if listing else 0)
    detail = (f"pg_dump custom format, {entries} tables with data, readable by pg_restore"
              if listing else "pg_dump custom format")
    return BackupResult(target, target.stat().st_size, detail)
