"""The Raw data table (one row per primary complete or partial interview), shared by the
workbook and the CSV, and the open texts pulled from the same interviews."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cati_app.core.clock import to_thimphu
from cati_app.core.questionnaire import PARAMETERS, SUBSTANTIVE, Questionnaire, Scores
from cati_app.reports.records import InterviewRecord
from cati_app.reports.scoring import InterviewScorer

FIXED_COLUMNS = ("Case ID", "Service", "Dzongkhag", "Office", "Date availed", "Enumerator",
                 "Started (Thimphu)", "Ended (Thimphu)", "Length (min)", "Language",
                 "Questionnaire", "Version", "Result")
PII_COLUMNS = ("Respondent name", "Phone 1", "Phone 2", "Phone 3")
SCORE_COLUMNS = tuple(p.title() for p in PARAMETERS) + ("Composite (1-5)", "Composite (0-100)")
MAX_PHONES = 3
#: widths (characters) wide enough for what the columns hold: no "####" for a date or time
COLUMN_WIDTHS = {"Case ID": 9, "Service": 9, "Dzongkhag": 16, "Office": 30,
                 "Date availed": 12, "Enumerator": 12, "Started (Thimphu)": 17,
                 "Ended (Thimphu)": 17, "Length (min)": 9, "Language": 9, "Questionnaire": 13,
                 "Version": 8, "Result": 12, "Respondent name": 22, "Phone 1": 16,
                 "Phone 2": 16, "Phone 3": 16}
ANSWER_WIDTH = 11


def thimphu_naive(when: datetime | None) -> datetime | None:
    """Excel has no time zones: Thimphu wall-clock time, as the column headers say."""
    return None if when is None else to_thimphu(when).replace(tzinfo=None)


def minutes_between(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 60


def answer_columns(questionnaires: Mapping[tuple[str, int], Questionnaire]) -> list[str]:
    """Every answer-taking item of every questionnaire version in use, newest version's
    order first, then items only older versions had."""
    names: dict[str, None] = {}
    for key in sorted(questionnaires, key=lambda k: (k[0], -k[1])):
        for item in questionnaires[key].items:
            if item.takes_answer:
                names.setdefault(item.name, None)
    return list(names)


def question_words(questionnaires: Mapping[tuple[str, int], Questionnaire],
                   names: list[str]) -> dict[str, str]:
    """The English words of each named item, from the newest version that has it."""
    words: dict[str, str] = {}
    for key in sorted(questionnaires, key=lambda k: (k[0], -k[1])):
        for item in questionnaires[key].items:
            if item.name in names and item.name not in words:
                words[item.name] = item.label.get("en") or next(iter(item.label.values()), "")
    return words


@dataclass(frozen=True, slots=True)
class ScoredInterview:
    record: InterviewRecord
    scorer: InterviewScorer
    effective: dict[str, Any]
    scores: Scores

    def open_text(self, role: str) -> str | None:
        name = self.scorer.item_with_role(role)
        text = self.effective.get(name) if name is not None else None
        return text.strip() if isinstance(text, str) and text.strip() else None


class RawTable:
    def __init__(self, questionnaires: Mapping[tuple[str, int], Questionnaire],
                 include_pii: bool) -> None:
        self.include_pii = include_pii
        self.answers = answer_columns(questionnaires)
        self._scorers = {key: InterviewScorer(q) for key, q in questionnaires.items()}
        self.header = [*FIXED_COLUMNS[:1], *(PII_COLUMNS if include_pii else ()),
                       *FIXED_COLUMNS[1:], *self.answers, *SCORE_COLUMNS]
        #: the question in words for each answer column, whose header is the item's code (the
        #: same as the CSV's, so a workbook and a CSV line up column for column)
        self.questions = question_words(questionnaires, self.answers)

    def widths(self) -> list[int]:
        return [COLUMN_WIDTHS.get(title, ANSWER_WIDTH if title in self.questions else 12)
                for title in self.header]

    def scored(self, record: InterviewRecord) -> ScoredInterview:
        try:
            scorer = self._scorers[(record.questionnaire_id, record.questionnaire_version)]
        except KeyError:
            raise ValueError(f"case {record.case_id}: questionnaire {record.questionnaire_id} "
                             f"version {record.questionnaire_version} was not provided") from None
        effective = scorer.effective(record.answers)
        return ScoredInterview(record, scorer, effective, scorer.score(effective))

    def row(self, interview: ScoredInterview) -> list[Any]:
        r, scores = interview.record, interview.scores
        pii: list[Any] = []
        if self.include_pii:
            phones = list(r.phones[:MAX_PHONES]) + [None] * (MAX_PHONES - len(r.phones))
            pii = [r.respondent_name, *phones]
        answers = [_cell(interview.effective.get(name)) for name in self.answers]
        return [r.case_id, *pii, r.service_code, r.dzongkhag, r.office, r.date_availed,
                r.enumerator, thimphu_naive(r.started_at), thimphu_naive(r.ended_at),
                minutes_between(r.started_at, r.ended_at), r.language, r.questionnaire_id,
                r.questionnaire_version, r.completion, *answers,
                *(scores.parameters.get(p) for p in PARAMETERS), scores.composite,
                scores.composite_100]

    def rows(self, records: Iterator[InterviewRecord]) -> Iterator[tuple[ScoredInterview,
                                                                         list[Any]]]:
        for record in records:
            interview = self.scored(record)
            yield interview, self.row(interview)


def _cell(value: Any) -> Any:
    # Likert codes become numbers so analysts can average them; Don't know/Refused stay codes
    if isinstance(value, str) and value in SUBSTANTIVE:
        return int(value)
    if isinstance(value, bool | int | float | str | date) or value is None:
        return value
    return str(value)
