"""``cati-app --self-test`` from the source tree: every check passes on a good installation, and
each kind of breakage a bundle suffers (a broken form, a missing migration tree, two heads) is
reported with what is wrong and a non-zero exit status."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from cati_app import __version__
from cati_app.client.store.database import MIGRATIONS
from cati_app.core.resources import ui_form
from cati_app.desktop import self_test
from cati_app.desktop.app import main


def test_the_self_test_passes_on_this_installation(qapp, capsys) -> None:
    status = main(["--self-test"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.startswith(f"cati-app {__version__} self-test")
    assert out.rstrip().endswith("all checks passed")
    for name, _check in self_test.CHECKS:
        assert f"ok   {name}:" in out
    assert "Dzongkha font registered as 'DDC Uchen'" in out
    assert "login_dialog.ui" in out
    # from a checkout both Alembic trees are there (the desktop bundle carries the client's)
    assert "client head 0003" in out and "server head" in out
    assert "main window shown with 15 demo cases" in out


def test_a_failing_check_is_reported_and_the_others_still_run() -> None:
    def broken() -> str:
        raise self_test.CheckFailed("the font file is gone")

    results = self_test.run_checks((("fonts", broken), ("questionnaire",
                                                         self_test.check_questionnaire)))
    out = io.StringIO()
    assert self_test.report(results, out) == 1
    text = out.getvalue()
    assert "FAIL fonts: CheckFailed: the font file is gone" in text
    assert "ok   questionnaire: default questionnaire set" in text
    assert text.rstrip().endswith("FAILED: fonts")


def test_a_form_that_qt_cannot_read_fails_the_forms_check(qapp, tmp_path: Path) -> None:
    shutil.copy(ui_form("login_dialog.ui"), tmp_path / "login_dialog.ui")
    (tmp_path / "truncated.ui").write_text('<?xml version="1.0"?><ui version="4.0"><widget',
                                           encoding="utf-8")
    with pytest.raises(self_test.CheckFailed, match="truncated.ui could not be read"):
        self_test.check_forms(tmp_path)


def test_no_forms_at_all_fails_the_forms_check(qapp, tmp_path: Path) -> None:
    with pytest.raises(self_test.CheckFailed, match="no Designer forms"):
        self_test.check_forms(tmp_path)


def test_a_migration_tree_without_env_py_fails(tmp_path: Path) -> None:
    with pytest.raises(self_test.CheckFailed, match="is missing"):
        self_test.check_migrations(tmp_path / "migrations")


def test_a_migration_tree_with_two_heads_fails(tmp_path: Path) -> None:
    tree = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, tree, ignore=shutil.ignore_patterns("__pycache__"))
    # a second revision branching from the same parent as the first: two heads
    (tree / "versions" / "0002_branch.py").write_text(
        'revision = "0002b"\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n\n'
        "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n", encoding="utf-8")
    with pytest.raises(self_test.CheckFailed, match="2 heads, expected one"):
        self_test.check_migrations(tree)
