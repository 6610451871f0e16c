"""``cati-server backup PATH`` (both backends): the copy opens and has the rows. On PostgreSQL
the dump is restored with pg_restore into a new database, as the restore drill does."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from cati_app.server.context import AppContext
from cati_app.server.services.ops.backup import BackupError, backup, pg_dump_command
from tests.support.factories import seed_cases, seed_service
from tests.support.pg import PG_URL

CASES = 25


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cati_app.server.cli", *args],
                          capture_output=True, text=True, env=os.environ | env, timeout=60,
                          check=False)


@pytest.fixture
def restored_database() -> Iterator[str]:
    """A new, empty PostgreSQL database to restore into; dropped afterwards."""
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def test_the_backup_opens_and_has_the_rows(ctx: AppContext, tmp_path: Path,
                                           request: pytest.FixtureRequest) -> None:
    seed_cases(ctx, seed_service(ctx), CASES)
    target = tmp_path / "backup.dump"
    result = backup(ctx.settings.database_url, target)
    assert result.path == target and result.bytes == target.stat().st_size > 0
    if ctx.engine.dialect.name == "sqlite":
        assert "integrity check ok" in result.detail
        assert not target.with_name(target.name + "-wal").exists()  # one self-contained file
        copy = sqlite3.connect(target)
        try:
            assert copy.execute("SELECT count(*) FROM cases").fetchone()[0] == CASES
            assert copy.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        finally:
            copy.close()
        return
    database = request.getfixturevalue("restored_database")
    url = make_url(ctx.settings.database_url)
    subprocess.run(["pg_restore", "--no-owner", f"--host={url.host}", f"--port={url.port}",
                    f"--username={url.username}", f"--dbname={database}", str(target)],
                   check=True, capture_output=True, timeout=60)
    schema = dict(url.query)["options"].split("=")[-1]
    engine = create_engine(url.set(database=database, query={}))
    try:
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {schema}.cases")).scalar() == CASES
    finally:
        engine.dispose()


def test_the_cli_backs_up_and_never_overwrites(ctx: AppContext, tmp_path: Path) -> None:
    seed_cases(ctx, seed_service(ctx), 3)
    env = {"CATI_DATABASE_URL": ctx.settings.database_url}
    target = tmp_path / "nightly.backup"
    first = _cli("backup", str(target), env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"backup written: {target} (")
    again = _cli("backup", str(target), env=env)
    assert again.returncode == 2
    assert again.stderr.startswith(f"cati-server: {target} already exists: choose a new file")
    assert "Traceback" not in again.stderr


def test_a_missing_folder_is_named(ctx: AppContext, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="the folder .*nowhere does not exist"):
        backup(ctx.settings.database_url, tmp_path / "nowhere" / "copy")


def test_without_pg_dump_the_recipe_is_printed_without_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://cati:s3cret@db.example:5433/cati"
    result = _cli("backup", str(tmp_path / "cati.dump"),
                  env={"CATI_DATABASE_URL": url, "PATH": str(tmp_path)})
    assert result.returncode == 2
    assert "pg_dump is not installed here" in result.stderr
    assert (f"PGPASSWORD=... pg_dump --format=custom --no-owner --file={tmp_path / 'cati.dump'}"
            " --host=db.example --port=5433 --username=cati --dbname=cati") in result.stderr
    assert "s3cret" not in result.stderr


def test_the_dump_command_keeps_the_password_off_the_command_line() -> None:
    url = make_url("postgresql+psycopg://cati:s3cret@db/cati?options=-csearch_path%3Dfield")
    args, env = pg_dump_command(url, Path("/backups/cati.dump"))
    assert env == {"PGPASSWORD": "s3cret"}
    assert not any("s3cret" in arg for arg in args)
    assert "--schema=field" in args
    assert "--extension=pg_trgm" in args  # the search index needs it in a new database
