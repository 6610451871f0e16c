"""XLSForm workbooks for the questionnaire import tests: a small good one, a broken one, the
shipped default, and a writer for any rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from tests.support.constants import ROOT

SHIPPED = ROOT / "resources" / "questionnaires" / "set_default.xlsx"
HEAD = ["type", "name", "label::English", "label::Dzongkha", "relevant", "required",
        "constraint", "constraint_message::English", "appearance"]
SURVEY = [HEAD,
          ["select_one yn", "consent", "May I ask?", "ཞུ་ཆོག་གས།", None, "yes"],
          ["integer", "visits", "How many visits?", None, "${consent} = 'yes'", "yes",
           ". >= 1", "At least one"],
          ["select_multiple ways", "ways", "How did you hear?", None, "${consent} = 'yes'",
           None, None, None, "minimal"],
          ["decimal", "hours", "Hours waited?", None, "${visits} > 1"],
          ["text", "comment", "Anything else?"]]
CHOICES = [["list_name", "name", "label::English"], ["yn", "yes", "Yes"], ["yn", "no", "No"],
           ["ways", "radio", "Radio"], ["ways", "friend", "A friend"]]
BROKEN = [HEAD,
          ["calculate", "c", "C"],
          ["begin repeat", "r", "R"],
          ["select_one colours", "colour", "Colour?"],
          ["text", "t1", "T", None, "${nobody} = 'x' and"],
          ["text", "t1", "Again"]]


def write_workbook(path: Path, survey: list[list[Any]], choices: list[list[Any]] | None = CHOICES,
                   settings: list[list[Any]] | None = None) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in (("survey", survey), ("choices", choices), ("settings", settings)):
        if rows is not None:
            sheet = book.create_sheet(name)
            for row in rows:
                sheet.append(row)
    book.save(path)
    return path
