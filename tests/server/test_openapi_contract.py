"""The committed contract (docs/openapi.json and docs/api.md) matches the server as it is.

A change to a route or a wire model makes these fail until the contract is regenerated
(``scripts/export_openapi.py``) and the human description is brought along."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
API_MD = ROOT / "docs" / "api.md"
EXPORT_SCRIPT = ROOT / "scripts" / "export_openapi.py"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
#: a route as docs/api.md writes it: `POST /v1/queue/claim`
DOC_ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/v1/[^`?\s]*)")


def _load_export_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("export_openapi", EXPORT_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def exporter() -> ModuleType:
    return _load_export_script()


@pytest.fixture(scope="module")
def document(exporter: ModuleType) -> dict:
    return exporter.openapi_document()


def _operations(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in document["paths"].items()
            for method in ops if method in HTTP_METHODS}


def test_committed_openapi_document_is_what_the_app_serves(exporter: ModuleType,
                                                           document: dict) -> None:
    committed = exporter.DOCUMENT.read_text(encoding="utf-8")
    if committed == exporter.render(document):
        return
    before, now = _operations(json.loads(committed)), _operations(document)
    pytest.fail(
        "docs/openapi.json differs from the API the server has now: run "
        "`./tasks openapi` (or `.venv/bin/python scripts/export_openapi.py`), review the "
        "diff and update docs/api.md.\n"
        f"  routes added: {sorted(now - before) or 'none'}\n"
        f"  routes gone: {sorted(before - now) or 'none'}\n"
        "  (otherwise a request or response model changed)", pytrace=False)


def test_the_app_serves_the_same_document_over_http(client, document: dict) -> None:
    served = client.get("/openapi.json")
    assert served.status_code == 200
    assert _operations(served.json()) == _operations(document)
    assert served.json()["components"] == json.loads(json.dumps(document["components"]))


def test_every_route_is_under_v1_and_all_but_login_need_a_token(document: dict) -> None:
    operations = _operations(document)
    assert operations, "the document lists no routes"
    assert {path for _, path in operations if not path.startswith("/v1/")} == set()
    open_routes = {(method, path) for method, path in operations
                   if not document["paths"][path][method.lower()].get("security")}
    assert open_routes == {("POST", "/v1/auth/token"), ("GET", "/v1/health")}


def test_api_md_describes_exactly_the_routes_the_server_has(document: dict) -> None:
    described = set(DOC_ROUTE.findall(API_MD.read_text(encoding="utf-8")))
    served = _operations(document)
    undocumented = [f"{method} {path}" for method, path in sorted(served - described)]
    assert undocumented == [], "describe these routes in docs/api.md"
    gone = [f"{method} {path}" for method, path in sorted(described - served)]
    assert gone == [], "docs/api.md names routes the server does not have"


def test_api_md_names_every_push_status_and_change_type() -> None:
    from cati_app.core.protocol import ChangeType, ItemKind, ItemStatus

    text = API_MD.read_text(encoding="utf-8")
    words = [*ItemStatus, *ChangeType, *ItemKind]
    assert [w.value for w in words if f"`{w.value}`" not in text] == []


def test_check_mode_reports_a_stale_document(exporter: ModuleType, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    monkeypatch.setattr(exporter, "DOCUMENT", stale)
    monkeypatch.setattr(exporter, "ROOT", tmp_path)
    assert exporter.main(["--check"]) == 1
    assert "run `.venv/bin/python scripts/export_openapi.py`" in capsys.readouterr().err
    assert exporter.main([]) == 0
    assert exporter.main(["--check"]) == 0
    assert json.loads(stale.read_text(encoding="utf-8"))["openapi"].startswith("3.")
