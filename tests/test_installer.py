"""The desktop installer's plan, checked on every run without the slow build: the PyInstaller
spec, what it bundles (installer/bundle_plan.py), the Inno Setup script and the one version.

The build itself, and the bundled executable's --self-test, run in `./tasks dist`, which fails
when the bundle cannot start (installer/README.md)."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import platformdirs
import pytest

import cati_app
from cati_app.client.paths import APP_NAME

ROOT = Path(__file__).resolve().parent.parent
INSTALLER = ROOT / "installer"
ISS = (INSTALLER / "serve-cati.iss").read_text(encoding="utf-8")
VENV_BIN = Path(sys.executable).parent


def _load_bundle_plan():
    spec = importlib.util.spec_from_file_location("bundle_plan", INSTALLER / "bundle_plan.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


plan = _load_bundle_plan()


def _files_under(folder: str) -> set[Path]:
    return {p for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


# --- the spec --------------------------------------------------------------------------------

def test_the_spec_parses_and_takes_its_contents_from_the_plan() -> None:
    tree = ast.parse((INSTALLER / "cati-app.spec").read_text(encoding="utf-8"))
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert {"data_files", "keeps_qt_plugin", "EXCLUDED_MODULES", "BUNDLE_NAME"} <= names
    calls = {node.func.id for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT"} <= calls  # COLLECT: one-folder mode
    assert (INSTALLER / "cati_app_main.py").is_file()


def test_every_file_of_the_data_folders_is_bundled_where_the_package_looks() -> None:
    bundled = {(Path(source), destination) for source, destination in plan.data_files()}
    for folder, target in plan.DATA_FOLDERS.items():
        assert (ROOT / folder).is_dir(), f"{folder}/ is in the plan but not in the checkout"
        for path in _files_under(folder):
            relative = path.parent.relative_to(ROOT / folder).as_posix()
            expected = target if relative == "." else f"{target}/{relative}"
            assert (path, expected) in bundled, f"{path} would be missing from the bundle"
    sources = {source.relative_to(ROOT).as_posix() for source, _ in bundled}
    # the things the client cannot start without
    assert {"resources/fonts/DDC_Uchen.ttf", "resources/questionnaires/set_default.json",
            "ui/login_dialog.ui", "cati_app/client/migrations/env.py"} <= sources
    assert any(s.startswith("cati_app/client/migrations/versions/0001") for s in sources)
    assert not any("__pycache__" in s or s.endswith(".pyc") for s in sources)


def test_a_missing_data_folder_stops_the_build(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="the bundle would lack resources/"):
        plan.data_files(tmp_path)


@pytest.mark.parametrize(("destination", "kept"), [
    ("PySide6/Qt/plugins/platforms/libqxcb.so", True),
    ("PySide6/Qt/plugins/platforms/libqoffscreen.so", True),
    ("PySide6/Qt/plugins/platforms/qwindows.dll", True),
    ("PySide6\\Qt\\plugins\\styles\\qmodernwindowsstyle.dll", True),
    ("PySide6/Qt/plugins/imageformats/libqico.so", True),
    ("PySide6/Qt/plugins/platforms/libqvnc.so", False),
    ("PySide6/Qt/plugins/platforms/libqeglfs.so", False),
    ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", False),
    ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", False),
    ("PySide6/Qt/plugins/imageformats/qpdf.dll", False),
    ("PySide6/Qt/plugins/tls/libqopensslbackend.so", False),
    ("PySide6/Qt/lib/libQt6Widgets.so.6", True),  # not a plugin: the filter leaves it
    ("cati_app/resources/fonts/DDC_Uchen.ttf", True),
])
def test_only_the_needed_qt_plugins_are_kept(destination: str, kept: bool) -> None:
    assert plan.keeps_qt_plugin(destination) is kept


def test_the_kept_plugin_names_exist_in_the_installed_qt() -> None:
    """A typo in QT_PLUGINS would silently drop a plugin the client needs."""
    import PySide6

    plugins = Path(PySide6.__file__).parent / "Qt" / "plugins"
    installed = {f"{p.parent.name}/{p.name}" for p in plugins.glob("*/*")}
    for name in ("qxcb", "qoffscreen", "qminimal"):
        assert f"platforms/lib{name}.so" in installed or f"platforms/{name}.dll" in installed
        assert name in plan.QT_PLUGINS["platforms"]
    assert "qwindows" in plan.QT_PLUGINS["platforms"]


def test_the_client_imports_none_of_the_excluded_modules() -> None:
    """Excluding a module the client imports would break the bundle only in the field."""
    code = ("import sys\n"
            "from cati_app.desktop.self_test import check_modules\n"
            "check_modules()\n"
            "print('\\n'.join(sorted(sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False, env={"QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "cati_app.desktop.supervisor.window" in loaded  # the walk reached the workspaces
    for excluded in plan.EXCLUDED_MODULES:
        assert excluded not in loaded, f"{excluded} is excluded but the client imports it"


# --- the Windows installer script --------------------------------------------------------------

def test_the_iss_takes_the_bundle_the_spec_builds_and_files_that_exist() -> None:
    assert f'#define BundleDir "..\\dist\\{plan.BUNDLE_NAME}"' in ISS
    assert f'#define AppExe "{plan.BUNDLE_NAME}.exe"' in ISS
    for source in re.findall(r'^Source: "([^"]+)"', ISS, flags=re.MULTILINE):
        if "{#BundleDir}" in source:
            continue  # made by the build
        assert (INSTALLER / source.replace("\\", "/")).is_file(), f"{source} does not exist"
    version_py = re.search(r'"\.\.\\(cati_app\\version\.py)"', ISS).group(1)
    assert (ROOT / version_py.replace("\\", "/")).is_file()


def test_the_iss_reads_the_version_line_as_it_is_written() -> None:
    # the preprocessor takes characters 16 .. len-1 of the line starting `__version__ = "`
    assert plan.version() == cati_app.__version__
    assert "Copy(VersionLine, 16, Len(VersionLine) - 16)" in ISS
    assert len('__version__ = "') + 1 == 16


def test_the_iss_never_deletes_the_users_data_or_settings() -> None:
    """Upgrades keep the local database and settings: they live outside {app}, and no
    install or uninstall section lists them; only the uninstall question may remove them."""
    windows_data = platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False)
    assert Path(windows_data).name == "serve-cati"
    assert '#define UserDataDir "{localappdata}\\serve-cati"' in ISS
    assert '#define SettingsKey "Software\\ServE\\serve-cati"' in ISS
    assert "\n[UninstallDelete]" not in ISS
    install_delete = ISS.split("\n[InstallDelete]\n", 1)[1].split("\n[", 1)[0]
    deleted = re.findall(r'Name: "([^"]+)"', install_delete)
    assert deleted == ["{app}\\_internal"]
    code = ISS.split("[Code]", 1)[1]
    assert "MB_DEFBUTTON2" in code and "not UninstallSilent()" in code
    assert "AppId={{6A0F6C2E-4B7D-4E0C-9C1A-2F6D3B8E51A7}" in ISS  # fixed: upgrades in place


def test_the_settings_key_in_the_iss_is_the_one_the_client_writes(qapp) -> None:
    from cati_app.desktop.settings import Settings

    store = Settings.for_user()._store
    assert f"Software\\{store.organizationName()}\\{store.applicationName()}" in ISS


# --- one version -------------------------------------------------------------------------------

def test_pyproject_reads_the_version_from_the_one_place() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "cati_app.version.__version__"}
    assert "pyinstaller" in " ".join(project["project"]["optional-dependencies"]["dist"])
    assert "pyinstaller" not in " ".join(project["project"]["optional-dependencies"]["dev"])


def test_both_programs_print_the_same_version() -> None:
    printed = []
    for program in ("cati-app", "cati-server"):
        done = subprocess.run([str(VENV_BIN / program), "--version"], capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        printed.append(done.stdout.strip())
    assert printed == [f"cati-app {cati_app.__version__}",
                       f"cati-server {cati_app.__version__}"]


def test_the_self_test_passes_when_launched_from_source(tmp_path: Path) -> None:
    home, temporary = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    temporary.mkdir()
    done = subprocess.run([str(VENV_BIN / "cati-app"), "--self-test"], capture_output=True,
                          text=True, timeout=120, check=False, cwd=tmp_path,
                          env={"QT_QPA_PLATFORM": "offscreen", "HOME": str(home),
                               "TMPDIR": str(temporary)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.rstrip().endswith("all checks passed")
    # it cleans up after itself and never touches the user's data folder
    assert list(temporary.iterdir()) == []
    assert not list(home.rglob("*.sqlite3")) and not list(home.rglob("device_id"))


def test_tasks_dist_builds_with_the_spec_and_fails_when_the_bundle_self_test_fails() -> None:
    tasks = (ROOT / "tasks").read_text(encoding="utf-8")
    branch = tasks.split("\n    dist)\n", 1)[1].split(";;", 1)[0]
    assert "installer/cati-app.spec" in branch and "'.[dev,dist]'" in branch
    assert f"dist/{plan.BUNDLE_NAME}/{plan.BUNDLE_NAME} --self-test" in branch
    assert "set -euo pipefail" in tasks  # a failing self-test stops the command
