"""Write the default SET script (resources/questionnaires/set_default.json) as an XLSForm
workbook, resources/questionnaires/set_default.xlsx: the starting point for a supervisor who
wants to adapt the script and import it (cati-server import-questionnaire, or the supervisor's
"Import a questionnaire" dialog).

    .venv/bin/python scripts/make_set_xlsform.py           # rewrite the workbook
    .venv/bin/python scripts/make_set_xlsform.py OUT.xlsx  # write it elsewhere

yes_no items become ``select_one yes_no`` (the import turns a yes/no list back into yes_no).
The settings sheet has no version: an import takes the next free version number.
tests/core/test_xlsform.py checks that importing the workbook gives the JSON's questionnaire.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources" / "questionnaires" / "set_default.json"
TARGET = ROOT / "resources" / "questionnaires" / "set_default.xlsx"
LANGUAGES = {"en": "English", "dz": "Dzongkha"}
YES_NO_LABELS = {"yes": {"en": "Yes", "dz": "ཨིན།"}, "no": {"en": "No", "dz": "མེན།"}}


def survey_rows(definition: dict[str, Any]) -> list[list[Any]]:
    texts = [f"{column}::{LANGUAGES[code]}" for column in ("label", "hint")
             for code in definition["languages"]]
    headings = ["type", "name", *texts, "relevant", "required", "parameter", "role"]
    rows: list[list[Any]] = [headings]
    for item in definition["items"]:
        kind = {"yes_no": "select_one yes_no"}.get(item["type"], item["type"])
        if item.get("choices"):
            kind = f"{item['type']} {item['choices']}"
        cells = [item.get(column.split("::")[0], {}).get(_code(column)) for column in texts]
        rows.append([kind, item["name"], *cells, item.get("relevant"),
                     "yes" if item.get("required") else None, item.get("parameter"),
                     item.get("role")])
    return rows


def choice_rows(definition: dict[str, Any]) -> list[list[Any]]:
    codes = definition["languages"]
    rows: list[list[Any]] = [["list_name", "name", *(f"label::{LANGUAGES[c]}" for c in codes)]]
    lists = {**definition["choice_lists"], "yes_no": [
        {"name": name, "label": label} for name, label in YES_NO_LABELS.items()]}
    for list_name, choices in lists.items():
        rows += [[list_name, choice["name"], *(choice["label"].get(c) for c in codes)]
                 for choice in choices]
    return rows


def settings_rows(definition: dict[str, Any]) -> list[list[Any]]:
    codes = definition["languages"]
    return [
        ["form_id", "default_language", *(f"form_title::{LANGUAGES[c]}" for c in codes),
         "needs_review"],
        [definition["id"], LANGUAGES[definition["default_language"]],
         *(definition["title"].get(c) for c in codes),
         " ".join(LANGUAGES[c] for c in definition["needs_review"])],
    ]


def _code(heading: str) -> str:
    language = heading.split("::")[1]
    return next(code for code, name in LANGUAGES.items() if name == language)


def write(definition: dict[str, Any], target: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in (("survey", survey_rows(definition)), ("choices", choice_rows(definition)),
                       ("settings", settings_rows(definition))):
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    workbook.save(target)


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else TARGET
    write(json.loads(SOURCE.read_text(encoding="utf-8")), target)
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
