"""``cati-server`` run as a person runs it: a subprocess against a temp SQLite database named by
CATI_DATABASE_URL, with cheap password hashing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from tests.support.constants import FAST_HASHING


class Cli:
    def __init__(self, tmp_path: Path) -> None:
        self.database = tmp_path / "cli.sqlite3"
        self.env = os.environ | {"CATI_DATABASE_URL": f"sqlite:///{self.database}",
                                 **FAST_HASHING}

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "cati_app.server.cli", *args]

    def __call__(self, *args: str, stdin: str = "", env: dict[str, str] | None = None
                 ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), input=stdin, capture_output=True,
                              text=True, env=env or self.env, timeout=60, check=False)

    def count(self, query) -> int:  # type: ignore[no-untyped-def]
        engine = create_engine(f"sqlite:///{self.database}")
        try:
            with Session(engine) as session:
                return session.scalar(query) or 0
        finally:
            engine.dispose()

    def session(self) -> Session:
        return Session(create_engine(f"sqlite:///{self.database}"))
