"""Write the server's OpenAPI document to docs/openapi.json (the committed API contract).

    .venv/bin/python scripts/export_openapi.py          # rewrite docs/openapi.json
    .venv/bin/python scripts/export_openapi.py --check  # exit 1 if the file is out of date

tests/server/test_openapi_contract.py fails when the committed file differs from what the app
produces, so a change to a route or a wire model cannot slip past the contract unnoticed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    """The document the app serves at /openapi.json. Building the app opens no connection,
    so a throwaway SQLite path is enough (nothing is created there)."""
    from cati_app.server.app import create_app
    from cati_app.server.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{Path(folder) / 'unused.sqlite3'}")
        app = create_app(settings)
        try:
            return app.openapi()
        finally:
            app.state.ctx.engine.dispose()


def render(document: dict[str, Any]) -> str:
    # Key order is the app's own (routes in the order they are declared): easier to read
    # than sorted keys, and just as stable.
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare; exit 1 when docs/openapi.json is out of date")
    args = parser.parse_args(argv)
    text = render(openapi_document())
    current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
    if args.check:
        if current != text:
            print(f"{DOCUMENT.relative_to(ROOT)} is out of date: run "
                  "`.venv/bin/python scripts/export_openapi.py`", file=sys.stderr)
            return 1
        print(f"{DOCUMENT.relative_to(ROOT)} is up to date")
        return 0
    if current == text:
        print(f"{DOCUMENT.relative_to(ROOT)} unchanged")
    else:
        DOCUMENT.write_text(text, encoding="utf-8")
        print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
