from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from cati_app.client import paths


def test_data_dir_is_the_user_data_dir_and_exists(monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    path = paths.data_dir()
    assert path == tmp_path / "xdg" / "serve-cati"
    assert path.is_dir()


def test_device_id_is_made_once_and_kept(tmp_path: Path) -> None:
    first = paths.device_id(tmp_path)
    assert uuid.UUID(first).version == 4
    assert paths.device_id(tmp_path) == first
    assert (tmp_path / "device_id").read_text().strip() == first


def test_device_id_replaces_an_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "device_id").write_text("not a uuid")
    made = paths.device_id(tmp_path)
    assert uuid.UUID(made)
    assert paths.device_id(tmp_path) == made


def test_database_path_is_safe_and_distinct_per_server_and_user(tmp_path: Path) -> None:
    a = paths.database_path(tmp_path, "https://cati.rcsc.gov.bt/", "karma")
    assert a.parent == tmp_path / "stores"
    assert a.name.startswith("cati.rcsc.gov.bt-karma-") and a.suffix == ".sqlite3"
    # the same server written differently is the same database
    assert paths.database_path(tmp_path, "HTTPS://CATI.rcsc.gov.bt", "karma") == a
    others = {
        paths.database_path(tmp_path, "https://cati.rcsc.gov.bt", "pema"),
        paths.database_path(tmp_path, "http://127.0.0.1:8000", "karma"),
        paths.database_path(tmp_path, "https://cati.rcsc.gov.bt", "kar/ma"),
        paths.database_path(tmp_path, "https://cati.rcsc.gov.bt", "kar_ma"),
    }
    assert len(others) == 4 and a not in others
    for path in others:
        assert "/" not in path.name and ":" not in path.name


def test_database_path_refuses_blank_parts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="username"):
        paths.database_path(tmp_path, "https://x", "  ")
    with pytest.raises(ValueError, match="server address"):
        paths.database_path(tmp_path, " / ", "karma")
