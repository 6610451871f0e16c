"""``cati-app --self-test``: prove an installation can work, without a server or a login.

Meant for the PyInstaller bundle first (``./tasks dist`` runs it on the bundle it just built),
and as useful on an enumerator's PC after an install: it checks what a bundle most often loses
(a data file, a Qt plugin, a lazily imported module), prints one line per check and returns 0
only when every check passed. It writes nothing outside a temporary folder: the user's data
and settings are not touched.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import TextIO

from PySide6.QtCore import QFile, QTranslator
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QApplication

from cati_app import __version__

# a Monday 10:00 in Thimphu: inside calling hours, so the demo queue shows due cases
DEMO_NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
# packages whose every module must import: the workspaces import some of them lazily, after
# login, so a module the bundler missed would otherwise only fail in front of a user
IMPORTED_PACKAGES = ("cati_app.core", "cati_app.client", "cati_app.desktop")


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


class CheckFailed(Exception):
    """A check found something missing or broken; the message says what."""


def check_fonts() -> str:
    from cati_app.desktop.fonts import DZONGKHA_FONT_FILE, register_dzongkha_font

    family = register_dzongkha_font()
    if family is None:
        raise CheckFailed(f"the Dzongkha font {DZONGKHA_FONT_FILE} did not register")
    return f"Dzongkha font registered as {family!r}"


def check_forms(folder: Path | None = None) -> str:
    """Every Designer form shipped in ui/ (or ``folder``) loads with QUiLoader."""
    folder = folder if folder is not None else Path(str(files("cati_app.ui")))
    forms = sorted(p.name for p in folder.iterdir() if p.name.endswith(".ui"))
    if not forms:
        raise CheckFailed(f"no Designer forms (.ui) found in {folder}")
    for name in forms:
        file = QFile(str(folder / name))
        if not file.open(QFile.OpenModeFlag.ReadOnly):
            raise CheckFailed(f"the form {name} cannot be opened")
        loader = QUiLoader()
        try:
            widget = loader.load(file, None)
        except RuntimeError:  # PySide raises where C++ Qt returns null
            widget = None
        finally:
            file.close()
        if widget is None:
            raise CheckFailed(f"the form {name} could not be read by QUiLoader: "
                              f"{loader.errorString() or 'not a valid form'}")
        widget.deleteLater()
    return f"{len(forms)} form(s) loaded: {', '.join(forms)}"


def check_questionnaire() -> str:
    from cati_app.core.questionnaire import default_questionnaire

    questionnaire = default_questionnaire()
    return (f"default questionnaire {questionnaire.id} v{questionnaire.version}, "
            f"{len(questionnaire.items)} items")


def check_translations() -> str:
    """Every compiled translation shipped loads (none yet is fine: English is built in; an
    empty folder does not even reach the bundle)."""
    folder = files("cati_app.resources").joinpath("translations")
    if not folder.is_dir():
        return "no compiled translations shipped (English only)"
    compiled = sorted(p.name for p in folder.iterdir() if p.name.endswith(".qm"))
    for name in compiled:
        if not QTranslator().load(str(folder.joinpath(name))):
            raise CheckFailed(f"the translation {name} could not be loaded")
    return f"{len(compiled)} compiled translation(s)"


def check_time_zones() -> str:
    """Windows has no system time-zone database: the tzdata package must be bundled."""
    thimphu = files("tzdata.zoneinfo").joinpath("Asia", "Thimphu")
    if not thimphu.is_file():
        raise CheckFailed("tzdata lacks Asia/Thimphu: times would be shown wrong")
    from zoneinfo import ZoneInfo

    offset = datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Thimphu")).utcoffset()
    if offset is None:
        raise CheckFailed("tzdata's Asia/Thimphu has no UTC offset")
    return f"Asia/Thimphu from tzdata, UTC{'+' if offset.total_seconds() >= 0 else ''}{offset}"


def check_migrations(client_tree: Path | None = None) -> str:
    """The client's Alembic tree (loaded from files at run time) resolves to one head; so does
    the server's where the server is installed (a wheel or checkout, not the desktop bundle)."""
    from cati_app.client.store.database import MIGRATIONS

    found = [f"client head {_single_head(client_tree or MIGRATIONS)}"]
    server = importlib.util.find_spec("cati_app.server")
    if server is not None and server.submodule_search_locations:
        tree = Path(next(iter(server.submodule_search_locations))) / "migrations"
        found.append(f"server head {_single_head(tree)}")
    else:
        found.append("server tree not part of this build (desktop bundle)")
    return "; ".join(found)


def _single_head(tree: Path) -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    if not (tree / "env.py").is_file():
        raise CheckFailed(f"the Alembic tree {tree} is missing (no env.py)")
    config = Config()
    config.set_main_option("script_location", str(tree))
    heads = ScriptDirectory.from_config(config).get_heads()
    if len(heads) != 1:
        raise CheckFailed(f"the Alembic tree {tree} has {len(heads)} heads, expected one")
    return heads[0]


def check_modules() -> str:
    count = 0
    for package_name in IMPORTED_PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if ".migrations" in module.name:  # Alembic loads these itself, from files
                continue
            importlib.import_module(module.name)
            count += 1
    return f"{count} modules of {', '.join(IMPORTED_PACKAGES)} import"


def check_main_window() -> str:
    """The enumerator window on demo cases over a fresh local store in a temporary folder."""
    from cati_app.client.store import LocalStore
    from cati_app.core.clock import FixedClock
    from cati_app.desktop.demo import demo_queue
    from cati_app.desktop.enumerator.controller import EnumeratorController
    from cati_app.desktop.enumerator.window import EnumeratorWindow
    from cati_app.desktop.settings import Settings

    clock = FixedClock(DEMO_NOW)
    with tempfile.TemporaryDirectory(prefix="cati-self-test-") as tmp:
        store = LocalStore.open(Path(tmp) / "self-test.sqlite3", username="selftest", clock=clock)
        try:
            cases = demo_queue(clock.now(), "selftest")
            store.store_claim("self-test", cases)
            controller = EnumeratorController(store, clock, username="selftest",
                                              full_name="Self Test")
            settings = Settings.in_file(str(Path(tmp) / "settings.ini"))
            window = EnumeratorWindow(controller, _NoDialer(), settings)
            window.resize(1280, 760)
            window.show()
            QApplication.processEvents()
            shown, rows = window.isVisible(), window.queue.model.rowCount()
            window.close()
            QApplication.processEvents()
        finally:
            store.close()
    if not shown:
        raise CheckFailed("the main window did not show")
    if rows == 0:
        raise CheckFailed("the main window's queue is empty after loading demo cases")
    return f"main window shown with {rows} demo cases on {QApplication.platformName()}"


class _NoDialer:
    def dial(self, e164: str) -> None:  # the self-test never calls anyone
        pass


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("modules", check_modules),
    ("fonts", check_fonts),
    ("forms", check_forms),
    ("questionnaire", check_questionnaire),
    ("translations", check_translations),
    ("time zones", check_time_zones),
    ("migrations", check_migrations),
    ("main window", check_main_window),
)


def run_checks(checks: tuple[tuple[str, Callable[[], str]], ...] = CHECKS) -> list[CheckResult]:
    """Run every check even after a failure, so one report shows everything that is wrong."""
    results = []
    for name, check in checks:
        try:
            results.append(CheckResult(name, True, check()))
        except Exception as error:  # noqa: BLE001 - each failure is reported, not raised
            results.append(CheckResult(name, False, f"{type(error).__name__}: {error}"))
    return results


def report(results: list[CheckResult], out: TextIO) -> int:
    """Print one line per check; the exit status: 0 when all passed, 1 otherwise."""
    out.write(f"cati-app {__version__} self-test (Python {sys.version.split()[0]})\n")
    for result in results:
        out.write(f"  {'ok  ' if result.ok else 'FAIL'} {result.name}: {result.detail}\n")
    failed = [r.name for r in results if not r.ok]
    out.write(f"FAILED: {', '.join(failed)}\n" if failed else "all checks passed\n")
    out.flush()
    return 1 if failed else 0


def self_test(out: TextIO | None = None) -> int:
    """The ``--self-test`` entry point; needs a QApplication (the caller makes it)."""
    # a windowed Windows build has no stdout: the exit status still tells the result
    stream = out if out is not None else sys.stdout
    results = run_checks()
    if stream is None:
        return 1 if any(not r.ok for r in results) else 0
    return report(results, stream)
