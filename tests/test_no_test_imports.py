"""Tests share helpers through fixtures (conftest.py) and helper modules (tests/support/ and a
folder's own non-test modules), never by importing a test module or a conftest.py: importing
a test module runs its tests twice or drags its fixtures along, and importing a conftest makes
pytest register it twice (issue 12, item 8)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_test_or_conftest(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return module.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def _offences(path: Path, root: Path = TESTS.parent) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        modules: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            modules = [a.name for a in node.names]
        elif (isinstance(node, ast.Assign)
              and any(isinstance(t, ast.Name) and t.id == "pytest_plugins"
                      for t in node.targets)):
            modules = [c.value for c in ast.walk(node.value)
                       if isinstance(c, ast.Constant) and isinstance(c.value, str)]
        found += [f"{path.relative_to(root)}:{node.lineno} imports {m}"
                  for m in modules if _is_test_or_conftest(m)]
    return found


def test_no_module_imports_a_test_module_or_a_conftest() -> None:
    offences = [o for path in sorted(TESTS.rglob("*.py")) for o in _offences(path)]
    assert offences == [], ("move what is shared to tests/support/ (or a helper module of the "
                            "folder) and use it from there:\n" + "\n".join(offences))


def test_the_check_sees_each_kind_of_import(tmp_path: Path) -> None:
    sample = tmp_path / "test_sample.py"
    sample.write_text("from tests.server.test_cli import Cli\nimport tests.client.conftest\n"
                      "from tests.desktop import test_i18n\n"
                      "pytest_plugins = ['tests.desktop.test_supervisor_cases']\n"
                      "from tests.support.factories import seed_cases\n", encoding="utf-8")
    found = _offences(sample, tmp_path)
    assert [f.split(" imports ")[1] for f in found] == [
        "tests.server.test_cli", "tests.client.conftest", "tests.desktop.test_i18n",
        "tests.desktop.test_supervisor_cases"]
