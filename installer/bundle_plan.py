"""What goes into the desktop bundle: read by cati-app.spec, and by tests/test_installer.py so
the plan is checked on every test run without the slow PyInstaller build.

Plain Python with no PyInstaller import, so the tests can load it on a machine without the
``dist`` extra.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: the folder name under dist/ and the executable's name (cati-app / cati-app.exe);
#: installer/serve-cati.iss takes its files from dist/<BUNDLE_NAME>
BUNDLE_NAME = "cati-app"

#: checkout folder -> where the package expects it inside the bundle. ui/ and resources/ ship
#: as the packages cati_app.ui and cati_app.resources (setup.py maps them the same way for the
#: wheel); Alembic reads the client's migration scripts from files at run time, so they go in
#: as files, not only as compiled modules in the archive.
DATA_FOLDERS = {
    "resources": "cati_app/resources",
    "ui": "cati_app/ui",
    "cati_app/client/migrations": "cati_app/client/migrations",
}

#: Modules the desktop bundle must not carry: the server side (the client talks to it over
#: HTTP only), Qt parts we do not use (WebEngine above all: ~200 MB, DESIGN.md §7), and Tk.
EXCLUDED_MODULES = [
    "cati_app.server", "cati_app.reports", "fastapi", "starlette", "uvicorn", "psycopg",
    "psycopg_binary", "argon2", "openpyxl", "lxml", "tkinter", "pytest", "hypothesis",
    "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets", "PySide6.QtWebEngineQuick",
    "PySide6.QtWebChannel", "PySide6.QtWebSockets", "PySide6.QtQuick", "PySide6.QtQml",
    "PySide6.QtQuickWidgets", "PySide6.QtPdf", "PySide6.QtMultimedia", "PySide6.Qt3DCore",
    "PySide6.QtCharts", "PySide6.QtDataVisualization", "PySide6.QtSql",
    "PySide6.QtDesigner", "PySide6.QtHelp",
    # QtTest, QtOpenGL and QtOpenGLWidgets stay: pyqtgraph (the dashboard's charts) imports them
]

#: Qt plugins kept, by folder and name without "lib" prefix and suffix; every other plugin is
#: dropped. Platforms: windows (the PCs in the field), xcb (Linux desktops), offscreen (the
#: self-test and CI), minimal (fallback). Image formats: only what window icons need; the app
#: draws no images. Input contexts: compose and ibus, for typing Dzongkha on Linux.
QT_PLUGINS = {
    "platforms": {"qwindows", "qxcb", "qoffscreen", "qminimal"},
    "xcbglintegrations": {"qxcb-glx-integration", "qxcb-egl-integration"},
    "platforminputcontexts": {"composeplatforminputcontextplugin",
                              "ibusplatforminputcontextplugin"},
    "platformthemes": {"qxdgdesktopportal"},  # follows the Linux desktop's light/dark setting
    "styles": {"qmodernwindowsstyle", "qwindowsvistastyle"},  # the native Windows 10/11 look
    "imageformats": {"qico", "qsvg"},
    "iconengines": {"qsvgicon"},
}

_PLUGIN_MARK = "/Qt/plugins/"
_LIBRARY_SUFFIXES = (".so", ".dll", ".dylib")


def data_files(root: Path = ROOT) -> list[tuple[str, str]]:
    """(source file, destination folder) pairs for PyInstaller's ``datas``: every file of the
    data folders, without caches; a data folder that is missing is an error, not an omission."""
    pairs = []
    for folder, target in DATA_FOLDERS.items():
        source = root / folder
        if not source.is_dir():
            raise FileNotFoundError(f"{source} is missing: the bundle would lack {folder}/")
        for path in sorted(source.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                relative = path.parent.relative_to(source).as_posix()
                destination = target if relative == "." else f"{target}/{relative}"
                pairs.append((str(path), destination))
    return pairs


def keeps_qt_plugin(destination: str) -> bool:
    """Whether a bundled file is kept: everything that is not a Qt plugin, and the plugins
    listed in QT_PLUGINS. ``destination`` is the path inside the bundle."""
    path = destination.replace("\\", "/")
    if _PLUGIN_MARK not in path:
        return True
    folder, _, name = path.split(_PLUGIN_MARK, 1)[1].rpartition("/")
    if not name.endswith(_LIBRARY_SUFFIXES):
        return True  # a plugin's metadata or licence file: harmless, and small
    stem = name.rsplit(".", 1)[0].split(".so")[0]
    stem = stem[3:] if stem.startswith("lib") else stem
    return stem in QT_PLUGINS.get(folder, set())


def version(root: Path = ROOT) -> str:
    """The version as installer/serve-cati.iss reads it: the ``__version__ = "..."`` line."""
    for line in (root / "cati_app" / "version.py").read_text(encoding="utf-8").splitlines():
        if line.startswith('__version__ = "') and line.endswith('"'):
            return line[len('__version__ = "'):-1]
    raise ValueError('cati_app/version.py has no line __version__ = "..."')
