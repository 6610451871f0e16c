"""Each interview version's SET scores, stored with the version (issue 14).

The progress report used to re-score every primary interview in Python on every dashboard
refresh (16 s at 60,000 interviews); now the scores are written once, when the version is
stored, and reports add them up in SQL. Versions never change their answers, so a version's
scores never change either: making another version primary (a correction, a supervisor's
choice) needs no re-scoring, the reports just follow the ``primary`` flag.

There is one definition of the scores: ``cati_app.core.questionnaire.score``. The numbers come
from ``cati_app.reports.scoring.InterviewScorer``, which gives exactly the same (property tests
in tests/reports/test_scoring.py and tests/server/test_stored_scores.py) while deciding skip
logic once per questionnaire version and combination of the answers it reads.

A version is scored with the questionnaire it was stored with, resolved as the push does
(``services.sync.interviews.questionnaire_for``): its own version, else the newest version of
the same script, else the default SET script. That is also the script its ``completion`` was
derived from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cati_app.core.questionnaire import (
    PARAMETERS,
    Questionnaire,
    Scores,
    default_questionnaire,
    load_questionnaire,
)
from cati_app.reports.scoring import InterviewScorer

#: parameter -> column of interview_versions holding its score
PARAMETER_COLUMNS: dict[str, str] = {p: f"score_{p}" for p in PARAMETERS}
COMPOSITE_COLUMN = "score_composite"
SCORE_COLUMNS: tuple[str, ...] = (*PARAMETER_COLUMNS.values(), COMPOSITE_COLUMN)

#: scorers by questionnaire object; each entry keeps its questionnaire alive, so an ``id()``
#: is never reused while it is a key. Bounded: a version unknown to the server is parsed anew
#: for every push (see questionnaire_for), and those must not pile up.
_SCORERS: dict[int, InterviewScorer] = {}
_MAX_SCORERS = 64


def score_columns(scores: Scores) -> dict[str, float | None]:
    """The stored form of ``scores``: one value per column of SCORE_COLUMNS, None where the
    questionnaire does not measure a parameter or nothing answered scores."""
    row = {column: scores.parameters.get(p) for p, column in PARAMETER_COLUMNS.items()}
    row[COMPOSITE_COLUMN] = scores.composite
    return row


def scores_for(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, float | None]:
    """The score columns of one interview version with these (normalised) answers: merge them
    into the version's row where it is inserted."""
    scorer = scorer_for(q)
    return score_columns(scorer.score(scorer.effective(answers)))


def scorer_for(q: Questionnaire) -> InterviewScorer:
    scorer = _SCORERS.get(id(q))
    if scorer is None:
        if len(_SCORERS) >= _MAX_SCORERS:
            _SCORERS.pop(next(iter(_SCORERS)))
        scorer = _SCORERS[id(q)] = InterviewScorer(q)
    return scorer


# --- filling in versions stored without scores (the migration's backfill) --------------------

#: lightweight tables (not the ORM models): the backfill runs inside a migration, where the
#: models may already describe columns a later migration adds
_VERSIONS = sa.table(
    "interview_versions", sa.column("id", sa.Integer), sa.column("questionnaire_id", sa.String),
    sa.column("questionnaire_version", sa.Integer), sa.column("answers", sa.JSON),
    *(sa.column(c, sa.Float) for c in SCORE_COLUMNS))
_SCRIPTS = sa.table("questionnaires", sa.column("qid", sa.String),
                    sa.column("version", sa.Integer), sa.column("definition", sa.JSON))
BACKFILL_CHUNK = 2000


def backfill(connection: Connection, *, chunk: int = BACKFILL_CHUNK,
             progress: Callable[[int], None] | None = None) -> int:
    """Score every interview version on ``connection`` (all of them: it is idempotent) and
    store the scores; returns how many were scored. Reads by id range, so it never holds a
    cursor open while it writes (SQLite) and never holds all answers in memory."""
    scripts = _ScriptResolver(connection)
    update = (sa.update(_VERSIONS).where(_VERSIONS.c.id == sa.bindparam("version_id"))
              .values({c: sa.bindparam(c) for c in SCORE_COLUMNS}))
    done, last = 0, 0
    while True:
        rows = connection.execute(
            sa.select(_VERSIONS.c.id, _VERSIONS.c.questionnaire_id,
                      _VERSIONS.c.questionnaire_version, _VERSIONS.c.answers)
            .where(_VERSIONS.c.id > last).order_by(_VERSIONS.c.id).limit(chunk)).all()
        if not rows:
            return done
        params = [{"version_id": row.id,
                   **scores_for(scripts.get(row.questionnaire_id, row.questionnaire_version),
                                row.answers or {})}
                  for row in rows]
        connection.execute(update, params)
        done += len(rows)
        last = rows[-1].id
        if progress is not None:
            progress(done)


class _ScriptResolver:
    """Questionnaires by (id, version), resolved as ``questionnaire_for`` resolves them."""

    def __init__(self, connection: Connection) -> None:
        self._definitions = {(qid, version): definition for qid, version, definition
                             in connection.execute(sa.select(_SCRIPTS))}
        self._parsed: dict[tuple[str, int], Questionnaire] = {}

    def get(self, qid: str, version: int) -> Questionnaire:
        found = self._parsed.get((qid, version))
        if found is None:
            found = self._parsed[(qid, version)] = self._resolve(qid, version)
        return found

    def _resolve(self, qid: str, version: int) -> Questionnaire:
        definition = self._definitions.get((qid, version))
        if definition is None:  # unknown to the server: the newest of the same script
            same = [v for q, v in self._definitions if q == qid]
            definition = self._definitions[(qid, max(same))] if same else None
        return default_questionnaire() if definition is None else load_questionnaire(definition)
