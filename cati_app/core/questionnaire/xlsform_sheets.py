"""The plain pieces of XLSForm import: a sheet as text, cell and column spelling, language
codes, and the problem/result shapes that also travel over the wire."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from pydantic import BaseModel

LANGUAGE_CODES = {"english": "en", "dzongkha": "dz"}
_LANGUAGE = re.compile(r"(?P<name>[^()]*?)\s*(?:\((?P<code>[^()]+)\))?\s*")


class XLSFormProblem(BaseModel):
    """One problem (or note) in a workbook; ``row`` is the spreadsheet's row number and
    ``column`` its letter, as Excel shows them. Also the wire form in the import route."""

    sheet: str
    row: int | None = None
    column: str | None = None
    #: the column's heading, e.g. ``relevant``
    heading: str | None = None
    message: str

    def __str__(self) -> str:
        where = [f"{self.sheet} sheet"]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}" + (f" ({self.heading})" if self.heading else ""))
        return f"{', '.join(where)}: {self.message}"


class QuestionnaireImportResult(BaseModel):
    """What an XLSForm import stored (route reply and CLI summary)."""

    service_code: str
    questionnaire_id: str
    version: int
    items: int
    languages: list[str]
    #: what was ignored (appearance, unknown columns): worth reading, not blocking
    notes: list[XLSFormProblem] = []


class XLSFormError(ValueError):
    """The workbook cannot be imported; ``problems`` lists every problem found."""

    def __init__(self, problems: list[XLSFormProblem]) -> None:
        self.problems = problems
        super().__init__(f"the workbook has {len(problems)} problem(s); nothing was imported:\n"
                         + "\n".join(f"- {p}" for p in problems))


def cell_text(value: object) -> str:
    """A cell as the author sees it: ``1`` not ``1.0``, TRUE as ``true``, blanks as ``''``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True)
class Sheet:
    """One sheet as text: headings from the first row, then the non-blank rows with their
    spreadsheet row numbers."""

    name: str
    headings: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]

    @classmethod
    def from_values(cls, name: str, values: list[list[object]] | list[tuple[object, ...]]
                    ) -> Sheet:
        texts = [tuple(cell_text(v) for v in row) for row in values]
        headings = texts[0] if texts else ()
        body = tuple((number, row) for number, row in enumerate(texts[1:], start=2) if any(row))
        return cls(name, headings, body)

    def column(self, heading: str) -> int | None:
        wanted = heading.lower()
        return next((i for i, h in enumerate(self.headings) if heading_key(h) == wanted), None)


def heading_key(heading: str) -> str:
    """``Label :: English`` → ``label::english``; ``list name`` → ``list_name``."""
    head, sep, rest = heading.partition("::")
    return head.strip().lower().replace(" ", "_") + (sep + rest.strip().lower() if sep else "")


def language_code(name: str) -> str:
    """``English`` → ``en``; ``English (en)`` → ``en``; an unknown ``Nepali`` → ``nepali``."""
    match = _LANGUAGE.fullmatch(name.strip())
    if match and match.group("code"):
        return match.group("code").strip().lower()
    plain = (match.group("name") if match else name).strip().lower()
    return LANGUAGE_CODES.get(plain) or re.sub(r"[^a-z0-9]+", "_", plain).strip("_") or "und"
