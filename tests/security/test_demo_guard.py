"""`cati-server demo` refuses a database that has real data unless told explicitly (issue 11,
Medium): the demo adds logins whose password is published in the README. Both databases for
the rule; the command itself on SQLite (its `./tasks demo` home)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cati_app.core.protocol import Role
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.errors import Conflict
from cati_app.server.models import Case, User
from cati_app.server.services.accounts import users
from cati_app.server.services.ops.demo import DemoResult, real_data, seed_demo
from tests.support.constants import PASSWORD
from tests.support.factories import seed_cases, seed_service

ROOT = Path(__file__).resolve().parents[2]


def _seed(ctx: AppContext, **kwargs: object) -> DemoResult:
    with transaction(ctx.sessions) as session:
        return seed_demo(session, ctx.hasher, at=ctx.clock.now(), **kwargs)  # type: ignore[arg-type]


def _count(ctx: AppContext, model: type) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_empty_or_demo_database_is_seeded_and_seeded_again(ctx):
    assert _seed(ctx).created
    with transaction(ctx.sessions) as session:
        assert real_data(session) == []
    assert _seed(ctx).created == []  # a re-run on its own database still works


def test_a_real_user_makes_the_demo_refuse(ctx):
    with transaction(ctx.sessions) as session:
        users.create_user(session, ctx.hasher, username="dechen", password=PASSWORD,
                          role=Role.admin, full_name="Dechen Wangmo", at=ctx.clock.now())
    with pytest.raises(Conflict, match=r"real data.*1 user\(s\) the demo did not make \(dechen\)"):
        _seed(ctx)
    assert _count(ctx, User) == 1  # nothing seeded
    assert _seed(ctx, into_real_database=True).created
    assert _count(ctx, User) == 6


def test_a_real_account_under_a_demo_username_counts_as_real(ctx):
    with transaction(ctx.sessions) as session:
        users.create_user(session, ctx.hasher, username="admin", password="a long office secret",
                          role=Role.admin, full_name="Office Administrator", at=ctx.clock.now())
    with pytest.raises(Conflict, match=r"\(admin\)"):
        _seed(ctx)


def test_real_services_and_cases_make_the_demo_refuse(ctx):
    service = seed_service(ctx, "PASSPORT")
    seed_cases(ctx, service, 2)
    with pytest.raises(Conflict) as refused:
        _seed(ctx)
    assert "service(s) the demo did not add (PASSPORT)" in refused.value.detail
    assert "2 case(s) outside the demo's call lists" in refused.value.detail
    assert _count(ctx, Case) == 2


def _cli(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CATI_DATABASE_URL": f"sqlite:///{database}",
           "CATI_ARGON2_TIME_COST": "1", "CATI_ARGON2_MEMORY_KIB": "64",
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cati_app.server.cli", *args], env=env,
                          input="blue kettle 42\n", capture_output=True, text=True,
                          timeout=180, check=False, cwd=ROOT)


@pytest.mark.timeout(240)
def test_the_command_refuses_in_one_line_and_obeys_the_flag(tmp_path):
    database = tmp_path / "office.sqlite3"
    assert _cli(database, "init").returncode == 0
    assert _cli(database, "create-user", "dechen", "--role", "supervisor").returncode == 0
    refused = _cli(database, "demo")
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith("cati-server: this database holds real data")
    assert "--force-into-real-database" in refused.stderr and "Traceback" not in refused.stderr
    assert "enum1" not in refused.stdout
    forced = _cli(database, "demo", "--force-into-real-database")
    assert forced.returncode == 0, forced.stderr
    assert "demo data created" in forced.stdout
