"""Two `cati-server serve` processes on different loopback ports sharing one database, as
several workers behind the reverse proxy do in production (docs/deploy.md).

The fixtures are in tests/deploy/conftest.py."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.server_process import LiveServer, ServeProcess

#: concurrent claimers: the production race on PostgreSQL; SQLite (one office) serialises its
#: writers, so it runs a smaller one
CLAIMERS = {"sqlite": 6, "postgres": 20}
CASES_PER_CLAIMER = 8
#: cases claimed by one enumerator whose attempts are pushed through both servers at once
PUSHED_CASES = 20


@dataclass
class Deployment:
    database: LiveServer  # only its seeding and database helpers are used
    servers: tuple[ServeProcess, ServeProcess]
    claimers: int

    def add_enumerators(self, names: list[str]) -> None:
        self.database.add_users(names)
