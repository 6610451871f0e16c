"""GET /v1/health (both backends): 200 when the database answers at the current schema, 503
saying what to do when it does not answer or its schema is behind or unknown."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text

from cati_app import __version__
from cati_app.server.api.health import MigrationCheck, Migrations
from cati_app.server.app import create_app
from cati_app.server.context import AppContext
from cati_app.server.migrate import alembic_config
from cati_app.server.settings import Settings


def _health(app) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    with TestClient(app) as client:
        response = client.get("/v1/health")
    return response.status_code, response.json()


def test_current_schema_answers_ok_without_a_token(client: TestClient) -> None:
    response = client.get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "migrations": "current",
                               "version": __version__, "detail": ""}
    assert response.headers["x-request-id"]


def test_an_empty_database_is_behind(settings: Settings) -> None:
    app = create_app(settings)  # nothing migrated
    try:
        status, body = _health(app)
    finally:
        app.state.ctx.engine.dispose()
    assert status == 503
    assert (body["status"], body["database"], body["migrations"]) == (
        "unavailable", "ok", "behind")
    assert "cati-server init" in body["detail"]


def test_a_database_downgraded_to_base_is_behind(ctx: AppContext) -> None:
    config = alembic_config()
    with ctx.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    status, body = _health(create_app(ctx.settings, ctx=ctx))
    assert status == 503
    assert body["migrations"] == "behind"


def test_a_revision_this_server_does_not_know_is_reported(ctx: AppContext) -> None:
    with ctx.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_newer'"))
    status, body = _health(create_app(ctx.settings, ctx=ctx))
    assert status == 503
    assert body["migrations"] == "unknown"
    assert "newer than this server" in body["detail"]


def test_an_unreachable_database_answers_503_without_its_address(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "cati.sqlite3"
    app = create_app(Settings(database_url=f"sqlite:///{missing}"))
    try:
        status, body = _health(app)
    finally:
        app.state.ctx.engine.dispose()
    assert status == 503
    assert (body["database"], body["migrations"]) == ("unreachable", "unchecked")
    assert "no-such-folder" not in str(body)


def test_the_migration_check_is_cached_for_its_ttl(ctx: AppContext) -> None:
    now = [100.0]
    check = MigrationCheck(ttl=5.0, monotonic=lambda: now[0])
    with ctx.engine.connect() as connection:
        assert check.state(connection) is Migrations.current
    with ctx.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
    with ctx.engine.connect() as connection:
        now[0] = 104.9
        assert check.state(connection) is Migrations.current  # still the cached answer
        now[0] = 105.0
        assert check.state(connection) is Migrations.behind
