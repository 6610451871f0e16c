"""``cati-server frame import``, ``draw``, ``release`` and ``sample-report`` run as a person runs
them (a subprocess on a temp SQLite database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from cati_app.server.models import Case, DrawUnit
from tests.support.cli import Cli
from tests.support.frames import frame_csv, frame_records

pytestmark = pytest.mark.timeout(180)


def test_import_draw_release_and_report_from_the_command_line(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    assert cli("init").returncode == 0
    assert cli("add-service", "CID", "CID card").returncode == 0
    records = frame_records({("CID", "Thimphu"): 12, ("CID", "Paro"): 6})
    records[0]["phone"] = "123"
    frame = tmp_path / "register.csv"
    frame.write_bytes(frame_csv(records))

    imported = cli("frame", "import", str(frame), "--agency", "DCRC", "--from", "2026-05-01",
                   "--to", "2026-05-31")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("frame 1 (register.csv): 18 rows, 0 rejected")
    assert "kept in the frame" in imported.stdout
    assert "2026-05-01 to 2026-05-31  18 rows  CID" in cli("frame", "list").stdout

    drawn = cli("draw", "1", "--size", "9", "--replicates", "3", "--seed", "11")
    assert drawn.returncode == 0, drawn.stderr
    lines = drawn.stdout.splitlines()
    assert lines[0] == "draw 1 from frame 1 (register.csv): proportional allocation, seed 11"
    assert "excluded: no_valid_phone 1" in lines[1]
    assert any(line.split()[:4] == ["CID|Thimphu", "12", "11", "6"] for line in lines)
    assert cli.count(select(func.count()).select_from(DrawUnit)) == 9

    released = cli("release", "1")
    assert released.returncode == 0, released.stderr
    assert released.stdout.startswith("draw 1 replicate 1: 3 cases released")
    assert cli.count(select(func.count()).select_from(Case)
                     .where(Case.inclusion_probability.is_not(None))) == 3
    report = cli("sample-report")
    assert "released 3 (1 of 3 replicates)" in report.stdout

    mistake = cli("draw", "1", "--size", "5", "--allocation", "precision")
    assert mistake.returncode == 2 and "needs the margin" in mistake.stderr
    assert "Traceback" not in mistake.stderr
    unknown = cli("release", "7")
    assert unknown.returncode == 2 and "no draw 7" in unknown.stderr
