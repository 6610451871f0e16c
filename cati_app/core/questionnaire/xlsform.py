"""XLSForm authoring (DESIGN.md §3.5): the rows of a workbook's survey, choices and settings
sheets become a questionnaire definition, or a list of every problem with its sheet, row and
column. Pure: the workbook is read elsewhere
(``cati_app.server.services.catalogue.xlsform_reader``) into ``Sheet``s of plain text, so this
module needs no openpyxl and tests can feed rows directly.

Supported: types note, select_one LIST, select_multiple LIST, integer, decimal, text and
begin/end group (flattened: a group's ``relevant`` is joined with ``and`` onto each item inside);
columns name, label/hint/constraint_message per language (``label::English``,
``label::English (en)``), relevant, required, constraint, and the SET columns ``parameter`` and
``role``. A ``select_one`` whose list is exactly yes/no becomes a ``yes_no`` item (what the SET
roles and the script runner expect). ``appearance`` and columns XLSForm does not define are
ignored with a note; any other XLSForm feature is a problem, and one problem imports nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cati_app.core.questionnaire.expressions import NAME, ExpressionError, parse
from cati_app.core.questionnaire.model import PARAMETERS, ROLES, YES_NO
from cati_app.core.questionnaire.validation import QuestionnaireError, load_questionnaire
from cati_app.core.questionnaire.xlsform_sheets import (  # noqa: F401 - re-exported
    LANGUAGE_CODES,
    QuestionnaireImportResult,
    Sheet,
    XLSFormError,
    XLSFormProblem,
    cell_text,
    column_letter,
    heading_key,
    language_code,
)

TEXT_COLUMNS = ("label", "hint", "constraint_message")
SIMPLE_TYPES = ("note", "integer", "decimal", "text")
SUPPORTED_TYPES = "note, select_one LIST, select_multiple LIST, integer, decimal, text, " \
                  "begin group, end group"
MAX_VERSION = 2_147_483_647  # the largest version a PostgreSQL integer column holds
MAX_ID_LENGTH = 64
SURVEY_COLUMNS = {"type", "name", "relevant", "required", "constraint", "parameter", "role"}
#: XLSForm columns that change behaviour this tool does not have: using one is a problem
UNSUPPORTED_COLUMNS = {"choice_filter", "calculation", "default", "read_only", "repeat_count",
                       "trigger", "parameters", "required_message", "image", "audio", "video"}


@dataclass
class _Report:
    problems: list[XLSFormProblem] = field(default_factory=list)
    notes: list[XLSFormProblem] = field(default_factory=list)

    def at(self, sheet: Sheet, row: int | None, heading: str | None, message: str,
           *, note: bool = False) -> None:
        index = sheet.column(heading) if heading else None
        entry = XLSFormProblem(sheet=sheet.name, row=row, message=message,
                               column=None if index is None else column_letter(index),
                               heading=None if index is None else sheet.headings[index])
        (self.notes if note else self.problems).append(entry)


@dataclass(frozen=True)
class _Row:
    sheet: Sheet
    number: int
    cells: tuple[str, ...]

    def get(self, heading: str) -> str:
        index = self.sheet.column(heading)
        return self.cells[index].strip() if index is not None and index < len(self.cells) else ""


@dataclass
class _Form:
    """Everything gathered while reading, before the definition is put together."""

    default_language: str
    languages: list[str]
    items: list[dict[str, Any]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # item or group name → row
    #: (row, heading, source, index of the first item it governs, the item's own name)
    conditions: list[tuple[int, str, str, int, str | None]] = field(default_factory=list)
    choice_lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    list_rows: dict[str, int] = field(default_factory=dict)


# --- the whole conversion -------------------------------------------------------------------


def convert(sheets: Mapping[str, Sheet], *, default_id: str,
            next_version: Callable[[str], int]) -> tuple[dict[str, Any], list[XLSFormProblem]]:
    """The definition and the notes; XLSFormError lists every problem when there is one.

    ``sheets`` are keyed by lower-case sheet name. The questionnaire id is the settings'
    ``form_id``, else ``default_id``; the version is the settings' ``version``, else
    ``next_version(id)``.
    """
    report = _Report()
    survey = sheets.get("survey")
    if survey is None:
        raise XLSFormError([XLSFormProblem(sheet="survey", message="the workbook has no "
                            "sheet named 'survey': it holds the questions")])
    settings = _settings_row(sheets.get("settings"))
    form = _Form(*_languages(sheets, settings, report))
    _read_choices(sheets.get("choices"), form, report)
    _read_survey(survey, form, report)
    _check_conditions(survey, form, report)
    definition = _definition(form, settings, sheets.get("settings") or survey, default_id,
                             next_version, report)
    if form.items:
        _final_check(definition, form, sheets, report)
    elif survey.column("type") is not None:
        report.at(survey, None, None, "the survey sheet has no questions")
    if report.problems:
        order = {"survey": 0, "choices": 1, "settings": 2}
        raise XLSFormError(sorted(report.problems, key=lambda p: (
            order.get(p.sheet.lower(), 3), p.row or 0, p.column or "")))
    return definition, report.notes


# --- languages and settings -----------------------------------------------------------------


def _settings_row(sheet: Sheet | None) -> _Row | None:
    return _Row(sheet, *sheet.rows[0]) if sheet is not None and sheet.rows else None


def _languages(sheets: Mapping[str, Sheet], settings: _Row | None, report: _Report
               ) -> tuple[str, list[str]]:
    """(default language, every language in column order with the default first)."""
    named = settings.get("default_language") if settings else ""
    default = language_code(named) if named else ""
    found: list[str] = []
    for sheet in (sheets.get("survey"), sheets.get("choices")):
        for heading in sheet.headings if sheet else ():
            head, sep, language = heading_key(heading).partition("::")
            if head in TEXT_COLUMNS and sep:
                code = language_code(heading.partition("::")[2])
                if code not in found:
                    found.append(code)
    default = default or ("en" if "en" in found or not found else found[0])
    if "label" not in {heading_key(h) for h in sheets["survey"].headings} and not any(
            heading_key(h).startswith("label::") for h in sheets["survey"].headings):
        report.at(sheets["survey"], 1, None, "there is no label column: add one per language, "
                  "e.g. label::English and label::Dzongkha")
    return default, [default, *(code for code in found if code != default)]


def _texts(row: _Row, column: str, form: _Form) -> dict[str, str]:
    """``{language: text}`` from ``column`` and ``column::<Language>`` cells."""
    texts: dict[str, str] = {}
    for index, heading in enumerate(row.sheet.headings):
        head, sep, _language = heading_key(heading).partition("::")
        value = row.cells[index].strip() if index < len(row.cells) else ""
        if head == column and value:
            code = language_code(heading.partition("::")[2]) if sep else form.default_language
            texts[code] = value
    return texts


# --- choices --------------------------------------------------------------------------------


def _read_choices(sheet: Sheet | None, form: _Form, report: _Report) -> None:
    if sheet is None:
        return
    for heading in ("list_name", "name"):
        if sheet.column(heading) is None:
            report.at(sheet, 1, None, f"the choices sheet needs a {heading} column")
    if sheet.column("list_name") is None or sheet.column("name") is None:
        return
    seen: dict[tuple[str, str], int] = {}
    for number, cells in sheet.rows:
        row = _Row(sheet, number, cells)
        list_name, name = row.get("list_name"), row.get("name")
        if not list_name or not name:
            report.at(sheet, number, "name" if list_name else "list_name",
                      "every choice needs a list_name and a name")
            continue
        if (list_name, name) in seen:
            report.at(sheet, number, "name", f"choice {name!r} appears twice in list "
                      f"{list_name!r} (first in row {seen[list_name, name]})")
            continue  # reported here; the second copy is not kept
        elif re.search(r"\s", name):
            report.at(sheet, number, "name", f"choice name {name!r} contains a space: "
                      "select_multiple answers are names separated by spaces")
        seen[list_name, name] = number
        label = _texts(row, "label", form)
        if form.default_language not in label:
            report.at(sheet, number, _label_heading(sheet, form), f"choice {name!r} has no "
                      f"label in the default language {form.default_language!r}")
        form.list_rows.setdefault(list_name, number)
        form.choice_lists.setdefault(list_name, []).append({"name": name, "label": label})


def _label_heading(sheet: Sheet, form: _Form) -> str | None:
    """The heading of the default language's label column, for pointing at the cell."""
    for heading in sheet.headings:
        head, sep, language = heading_key(heading).partition("::")
        if head == "label" and (not sep or language_code(language) == form.default_language):
            return heading
    return None


# --- survey ---------------------------------------------------------------------------------


@dataclass
class _Group:
    row: int
    name: str
    relevant: str | None


def _read_survey(sheet: Sheet, form: _Form, report: _Report) -> None:
    if sheet.column("type") is None:
        report.at(sheet, 1, None, "there is no type column")
        return
    groups: list[_Group] = []
    for number, cells in sheet.rows:
        row = _Row(sheet, number, cells)
        kind = " ".join(row.get("type").lower().split())
        # XLSForm spells the structure both ways: "begin group" and "begin_group"
        structure = kind.replace("_", " ")
        if structure == "begin group":
            groups.append(_begin_group(row, form, report))
        elif structure == "end group":
            if not groups:
                report.at(sheet, number, "type", "end group without a begin group above it")
            else:
                groups.pop()
        elif structure in ("begin repeat", "end repeat"):
            report.at(sheet, number, "type", "repeats are not supported: a telephone "
                      "interview asks each question once; write the questions out")
        else:
            _read_item(row, kind, groups, form, report)
    for group in groups:
        report.at(sheet, group.row, "type", f"group {group.name!r} has no end group")
    _note_ignored_columns(sheet, report)


def _begin_group(row: _Row, form: _Form, report: _Report) -> _Group:
    name = _checked_name(row, form, report)
    for heading in ("required", "constraint", "parameter", "role"):
        if row.get(heading):
            report.at(row.sheet, row.number, heading, f"{heading} does not apply to a group")
    relevant = row.get("relevant") or None
    if relevant is not None and not _parses(row, "relevant", relevant, report):
        relevant = None  # reported; children must not repeat the same problem
    if relevant is not None:
        form.conditions.append((row.number, "relevant", relevant, len(form.items), None))
    return _Group(row.number, name, relevant)


def _read_item(row: _Row, kind: str, groups: list[_Group], form: _Form,
               report: _Report) -> None:
    item_type, list_name = _item_type(row, kind, form, report)
    name = _checked_name(row, form, report)
    item: dict[str, Any] = {"name": name, "type": item_type or "text",
                            "label": _texts(row, "label", form)}
    if form.default_language not in item["label"]:
        report.at(row.sheet, row.number, _label_heading(row.sheet, form) or "type",
                  f"no label in the default language {form.default_language!r}")
    if hint := _texts(row, "hint", form):
        item["hint"] = hint
    if list_name:
        item["choices"] = list_name
    conditions = [g.relevant for g in groups if g.relevant is not None]
    own = _condition(row, "relevant", form, report)
    if own is not None:
        conditions.append(own)
    if conditions:
        item["relevant"] = conditions[0] if len(conditions) == 1 else " and ".join(
            f"({c})" for c in conditions)
    item.update(_answer_fields(row, item_type, form, report))
    form.items.append(item)


def _item_type(row: _Row, kind: str, form: _Form, report: _Report
               ) -> tuple[str | None, str | None]:
    head, _space, rest = kind.partition(" ")
    if kind in SIMPLE_TYPES:
        return kind, None
    if head in ("select_one", "select_multiple") and rest and " " not in rest:
        list_name = row.get("type").split()[-1]
        choices = form.choice_lists.get(list_name)
        if choices is None:
            report.at(row.sheet, row.number, "type", f"choice list {list_name!r} does not "
                      "exist on the choices sheet")
        elif head == "select_one" and {c["name"] for c in choices} == set(YES_NO):
            return "yes_no", None
        return head, list_name
    shown = row.get("type") or "(empty)"
    report.at(row.sheet, row.number, "type", f"type {shown!r} is not supported "
              f"(supported: {SUPPORTED_TYPES})")
    return None, None


def _checked_name(row: _Row, form: _Form, report: _Report) -> str:
    name = row.get("name")
    if not name:
        report.at(row.sheet, row.number, "name", "a name is needed")
    elif not NAME.fullmatch(name):
        report.at(row.sheet, row.number, "name", f"name {name!r} must start with a letter or "
                  "'_' and contain only letters, digits, '_', '-' and '.'")
    elif name in form.rows:
        report.at(row.sheet, row.number, "name", f"name {name!r} is used already (row "
                  f"{form.rows[name]})")
    else:
        form.rows[name] = row.number
    return name or f"row{row.number}"


def _answer_fields(row: _Row, item_type: str | None, form: _Form, report: _Report
                   ) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    required = row.get("required").lower()
    if required in ("yes", "true", "1", "true()"):
        fields["required"] = True
    elif required not in ("", "no", "false", "0", "false()"):
        report.at(row.sheet, row.number, "required", f"required must be yes or no, "
                  f"not {row.get('required')!r}")
    constraint = _condition(row, "constraint", form, report)
    message = _texts(row, "constraint_message", form)
    if constraint is not None:
        fields["constraint"] = constraint
        if message:
            fields["constraint_message"] = message
    elif message:
        report.at(row.sheet, row.number, "constraint", "a constraint_message needs a "
                  "constraint to go with it")
    for heading, known in (("parameter", PARAMETERS), ("role", tuple(ROLES))):
        value = row.get(heading).lower()
        if value and value not in known:
            report.at(row.sheet, row.number, heading, f"unknown {heading} {value!r} (known: "
                      f"{', '.join(known)})")
        elif value:
            fields[heading] = value
    if item_type == "note" and (fields.get("required") or constraint is not None):
        report.at(row.sheet, row.number, "required" if fields.get("required") else
                  "constraint", "a note takes no answer: it cannot be required or constrained")
    return fields


def _condition(row: _Row, heading: str, form: _Form, report: _Report) -> str | None:
    source = row.get(heading)
    if not source or not _parses(row, heading, source, report):
        return None
    form.conditions.append((row.number, heading, source, len(form.items), row.get("name")))
    return source


def _parses(row: _Row, heading: str, source: str, report: _Report) -> bool:
    try:
        expression = parse(source)
    except ExpressionError as error:
        report.at(row.sheet, row.number, heading, str(error))
        return False
    if expression.uses_self and heading == "relevant":
        report.at(row.sheet, row.number, heading, "'.' (the question's own answer) can only "
                  "be used in a constraint")
        return False
    return True


def _note_ignored_columns(sheet: Sheet, report: _Report) -> None:
    for index, heading in enumerate(sheet.headings):
        key = heading_key(heading)
        used = [n for n, cells in sheet.rows if index < len(cells) and cells[index].strip()]
        head = key.partition("::")[0]
        if not heading or head in SURVEY_COLUMNS or head in TEXT_COLUMNS or not used:
            continue
        if head in UNSUPPORTED_COLUMNS or head.startswith(("media", "body", "jr:")):
            for number in used:
                report.at(sheet, number, heading, f"{heading} is not supported: remove it")
        else:
            report.at(sheet, None, heading, f"column {heading!r} is ignored (rows "
                      f"{', '.join(map(str, used))})", note=True)


# --- conditions and the definition ----------------------------------------------------------


def _check_conditions(sheet: Sheet, form: _Form, report: _Report) -> None:
    """References must name a question asked before the condition applies."""
    position = {item["name"]: (i, item) for i, item in reversed(list(enumerate(form.items)))}
    for number, heading, source, first, own in form.conditions:
        for name in sorted(parse(source).references):
            problem = _reference_problem(name, heading, first, own, position)
            if problem:
                report.at(sheet, number, heading, problem)


def _reference_problem(name: str, heading: str, first: int, own: str | None,
                       position: dict[str, tuple[int, dict[str, Any]]]) -> str | None:
    if name == own:
        return ("write '.' for the question's own answer" if heading == "constraint"
                else "refers to the question itself")
    if name not in position:
        return f"${{{name}}} is not a question in this form"
    where, target = position[name]
    if where >= first:
        return f"refers to {name!r}, which comes later in the form"
    if target["type"] == "note":
        return f"refers to {name!r}, a note, which has no answer"
    return None


def _definition(form: _Form, settings: _Row | None, sheet: Sheet, default_id: str,
                next_version: Callable[[str], int], report: _Report) -> dict[str, Any]:
    qid = (settings.get("form_id") if settings else "") or default_id
    if len(qid) > MAX_ID_LENGTH or not NAME.fullmatch(qid):
        report.at(sheet, 2, "form_id", f"form_id {qid!r} must be a name of at most "
                  f"{MAX_ID_LENGTH} letters, digits, '_', '-' or '.'")
    version_text = settings.get("version") if settings else ""
    version = next_version(qid) if not version_text else _version(version_text)
    if version is None:
        report.at(sheet, 2, "version", f"version {version_text!r} must be a whole number "
                  f"from 1 to {MAX_VERSION}")
    title = _texts(settings, "form_title", form) if settings else {}
    title.setdefault(form.default_language, qid)
    used = {item.get("choices") for item in form.items}
    # A yes/no list turned a select_one into yes_no (choices=None); keep the list so the
    # script runner can show its labels in every language of the workbook.
    used |= {name for name, choices in form.choice_lists.items()
             if {c["name"] for c in choices} == set(YES_NO)}
    return {
        "id": qid, "version": version or 1, "title": title, "languages": form.languages,
        "default_language": form.default_language,
        "needs_review": _needs_review(settings, form),
        "choice_lists": {n: c for n, c in form.choice_lists.items() if n in used},
        "items": form.items,
    }


def _version(text: str) -> int | None:
    return int(text) if text.isdigit() and 1 <= int(text) <= MAX_VERSION else None


def _needs_review(settings: _Row | None, form: _Form) -> list[str]:
    """The settings' ``needs_review`` languages; without that column every language but the
    default awaits a translator (DESIGN.md §3.5: confirmed text is marked explicitly)."""
    if settings is None or settings.sheet.column("needs_review") is None:
        return form.languages[1:]
    named = re.split(r"[,\s]+", settings.get("needs_review"))
    return [code for code in form.languages if code in {language_code(n) for n in named if n}]


def _final_check(definition: dict[str, Any], form: _Form, sheets: Mapping[str, Sheet],
                 report: _Report) -> None:
    """Whatever the questionnaire's own checks still find (roles, indicator choices, fill
    tags), pointed at the row of the item or choice list it names. A row already reported
    is skipped: its problem there is the same one, said less precisely."""
    reported = {(p.sheet, p.row) for p in report.problems}
    try:
        load_questionnaire(definition)
    except QuestionnaireError as error:
        for problem in error.problems:
            if not problem.startswith("item name "):  # duplicates are reported by row
                _place(problem, form, sheets, report, reported)


_ABOUT = re.compile(r"^(item|choice list) '([^']*)': (.*)$", re.DOTALL)
_HEADING_FOR = {"relevant": "relevant", "constraint": "constraint", "hint": "hint",
                "role": "role", "unknown parameter": "parameter", "an indicator": "parameter",
                "choice": "type", "label": "label"}


def _place(problem: str, form: _Form, sheets: Mapping[str, Sheet], report: _Report,
           reported: set[tuple[str, int | None]]) -> None:
    match = _ABOUT.match(problem)
    if match is None:
        sheet, row, heading = sheets.get("settings") or sheets["survey"], None, None
    elif match.group(1) == "choice list":
        sheet, row, heading = sheets["choices"], form.list_rows.get(match.group(2)), None
    else:
        rest = match.group(3)
        sheet, row = sheets["survey"], form.rows.get(match.group(2))
        heading = next((h for start, h in _HEADING_FOR.items() if rest.startswith(start)),
                       None)
        if heading == "label":
            heading = _label_heading(sheet, form)
    if (sheet.name, row) not in reported or row is None:
        report.at(sheet, row, heading, problem)
