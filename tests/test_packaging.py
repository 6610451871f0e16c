"""The wheel carries everything a checkout has: Designer forms, fonts, the default
questionnaire, both Alembic migration trees, and the two console scripts (DESIGN.md §2:
``ui/`` and ``resources/`` must reach an installed wheel, not just a checkout).

The wheel is built once per run from a copy of the sources (so no ``build/`` folder is left in
the checkout), without build isolation: offline and a few seconds."""

from __future__ import annotations

import configparser
import importlib
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "setup.py", "README.md", "cati_app", "resources", "ui")
BUILD_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=skip)
        else:
            shutil.copy2(origin, source / name)
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-input", "-q", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
    assert built.returncode == 0, f"building the wheel failed:\n{built.stdout}\n{built.stderr}"
    wheels = list(out.glob("serve_cati-*.whl"))
    assert len(wheels) == 1, f"expected one wheel, found {wheels}"
    return wheels[0]


@pytest.fixture(scope="module")
def names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _shipped_as(files: list[Path], folder: str, package: str) -> set[str]:
    """Where files under ``folder`` of the checkout belong in the wheel."""
    return {f"{package}/{f.relative_to(ROOT / folder).as_posix()}" for f in files}


def _missing(expected: set[str], names: set[str]) -> list[str]:
    return sorted(expected - names)


def test_wheel_ships_every_designer_form(names: set[str]) -> None:
    forms = sorted((ROOT / "ui").glob("*.ui"))
    assert forms, "the checkout has no ui/*.ui forms to check"
    assert _missing(_shipped_as(forms, "ui", "cati_app/ui"), names) == []


def test_wheel_ships_fonts_and_the_default_questionnaire(names: set[str]) -> None:
    fonts = sorted((ROOT / "resources" / "fonts").glob("*.ttf"))
    assert fonts, "the checkout has no resources/fonts/*.ttf to check"
    expected = _shipped_as(fonts, "resources", "cati_app/resources")
    expected.add("cati_app/resources/questionnaires/set_default.json")
    expected.add("cati_app/resources/questionnaires/complaint_followup.json")  # call-backs
    assert _missing(expected, names) == []


def test_wheel_ships_the_web_scorecards_templates_styles_and_labels(names: set[str]) -> None:
    web = ROOT / "cati_app" / "server" / "web"
    assets = sorted(f for folder in ("templates", "static", "locale")
                    for f in (web / folder).rglob("*") if f.is_file())
    assert len(assets) >= 6, "the checkout has no web scorecard assets to check"
    assert _missing({f"cati_app/server/web/{f.relative_to(web).as_posix()}" for f in assets},
                    names) == []


@pytest.mark.parametrize("side", ["server", "client"])
def test_wheel_ships_the_migrations(names: set[str], side: str) -> None:
    tree = ROOT / "cati_app" / side / "migrations"
    versions = sorted((tree / "versions").glob("*.py"))
    assert any(v.name != "__init__.py" for v in versions), f"no {side} migration versions"
    expected = {f"cati_app/{side}/migrations/{name}" for name in ("env.py", "script.py.mako")}
    expected |= {f"cati_app/{side}/migrations/versions/{v.name}" for v in versions}
    assert _missing(expected, names) == []


def test_wheel_leaves_out_bytecode_and_tests(names: set[str]) -> None:
    assert [n for n in names if "__pycache__" in n or n.endswith(".pyc")] == []
    assert [n for n in names if n.startswith("tests/")] == []


def test_wheel_declares_both_console_scripts(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        entry_file = next(n for n in archive.namelist()
                          if n.endswith(".dist-info/entry_points.txt"))
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(entry_file).decode())
    scripts = dict(parser["console_scripts"])
    assert scripts == {"cati-server": "cati_app.server.cli:main",
                       "cati-app": "cati_app.desktop.app:main"}
    for target in scripts.values():
        module, attribute = target.split(":")
        assert callable(getattr(importlib.import_module(module), attribute)), target


INSTALLED_CHECK = textwrap.dedent("""
    import sys
    from pathlib import Path

    from sqlalchemy import create_engine, inspect

    import cati_app
    from cati_app.client.store import database as client_db
    from cati_app.core.questionnaire import default_questionnaire
    from cati_app.core.resources import resource, ui_form
    from cati_app.server import migrate

    here = Path(sys.argv[1])
    assert Path(cati_app.__file__).is_relative_to(here), cati_app.__file__
    assert ui_form("login_dialog.ui").is_file()
    assert any(resource("fonts").glob("*.ttf"))
    assert default_questionnaire().items
    server = create_engine(f"sqlite:///{here / 'server.sqlite3'}")
    migrate.upgrade(server)
    assert migrate.is_current(server)
    path = here / "client.sqlite3"
    client = client_db.make_engine(path)
    client_db.migrate(client, path)
    assert client_db.current_revision(client) == client_db.head_revision()
    print("tables", len(inspect(server).get_table_names()), len(inspect(client).get_table_names()))
""")


def test_unpacked_wheel_finds_its_resources_and_migrates(wheel: Path, tmp_path: Path) -> None:
    """The installed package alone, not the checkout, answers: the forms and fonts are found
    and both databases migrate from the migration scripts inside the wheel."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    env = os.environ | {"PYTHONPATH": str(site), "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-c", INSTALLED_CHECK, str(site)], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("tables ")
