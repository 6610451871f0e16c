"""Stored interview scores (issue 14): every interview version keeps the scores core's
``score`` gives its answers, whichever way it was stored (the push's fast and per-item paths,
a correction, the migration's backfill), and the progress report's composite is their mean
over the primary interviews, following a supervisor's choice. Both databases."""

from __future__ import annotations

import random
from statistics import fmean
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from cati_app.core.questionnaire import (
    Questionnaire,
    default_questionnaire,
    load_questionnaire,
    score,
)
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.migrate import alembic_config
from cati_app.server.models import InterviewVersion
from cati_app.server.services.catalogue import catalogue
from cati_app.server.services.reporting.stored_scores import (
    SCORE_COLUMNS,
    backfill,
    score_columns,
    scores_for,
)
from cati_app.server.services.sync import push as push_service
from tests.server.disposition_flow import (
    as_held,
    claim,
    correct,
    make_people,
    push,
    reassign,
)
from tests.support.factories import interview_item, seed_cases, seed_service


@pytest.fixture
def people(make_user, login) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return make_people(make_user, login)


DEFAULT = default_questionnaire()


def shorter_script() -> Questionnaire:
    """Version 2 of the SET script as a supervisor might import it: no integrity or feedback
    indicators, and one indicator asked only when another is not 'Very poor' (skip logic
    that reads an indicator, not only consent and availed)."""
    definition = DEFAULT.model_dump(mode="json")
    definition["version"] = 2
    items = [i for i in definition["items"] if i.get("parameter") not in ("integrity",
                                                                          "feedback")]
    for item in items:
        if item["name"] == "acc_reach":
            item["relevant"] = f"{item['relevant']} and ${{acc_info}} != '1'"
    definition["items"] = items
    return load_questionnaire(definition)


SCRIPTS = [DEFAULT, shorter_script()]
VALUES = ["1", "2", "3", "4", "5", "dk", "ref"]


def answer_sets(q: Questionnaire) -> st.SearchStrategy[dict[str, Any]]:
    names = [i.name for i in q.items if i.takes_answer]
    value = st.sampled_from([*VALUES, "", None, "yes", "no", 7])
    return st.dictionaries(st.sampled_from([*names, "unknown"]), value)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SCRIPTS).flatmap(lambda q: st.tuples(st.just(q), answer_sets(q))))
def test_stored_scores_are_cores_scores(case: tuple[Questionnaire, dict[str, Any]]) -> None:
    q, answers = case
    assert scores_for(q, answers) == score_columns(score(q, answers))


def test_a_parameter_the_script_does_not_measure_is_null() -> None:
    answers = {"consent": "yes", "availed": "yes", "acc_info": "1", "acc_reach": "5",
               "int_fair": "5"}
    stored = scores_for(SCRIPTS[1], answers)
    # acc_reach is skipped after a 'Very poor' acc_info; integrity is not in version 2
    assert stored["score_accessibility"] == 1.0 and stored["score_integrity"] is None
    assert stored["score_composite"] == 1.0
    assert scores_for(DEFAULT, {"consent": "no", "acc_info": "5"}) == dict.fromkeys(
        SCORE_COLUMNS)


# --- through the API -------------------------------------------------------------------------


def random_answers(rng: random.Random, q: Questionnaire) -> dict[str, Any]:
    answers: dict[str, Any] = {"consent": rng.choice(["yes"] * 9 + ["no"]),
                               "availed": rng.choice(["yes"] * 9 + ["no"])}
    for item in q.indicators():
        if rng.random() < 0.85:
            answers[item.name] = rng.choice(VALUES)
    return answers


class Scripts(dict[int, Questionnaire]):
    """Questionnaire by the version an interview names, as the server scores it."""

    service_id: int


@pytest.fixture
def scripts(ctx: AppContext) -> Scripts:
    """A service; the server knows versions 1 and 2 of the script, version 9 is unknown
    (scored with the newest)."""
    found = Scripts({1: SCRIPTS[0], 2: SCRIPTS[1], 9: SCRIPTS[1]})
    found.service_id = seed_service(ctx)
    with transaction(ctx.sessions) as session:
        catalogue.add_questionnaire_version(session, SCRIPTS[1].model_dump(mode="json"),
                                            at=ctx.clock.now(), by=None)
    return found


def stored_rows(ctx: AppContext) -> list[InterviewVersion]:
    with ctx.sessions() as session:
        return list(session.scalars(select(InterviewVersion).order_by(InterviewVersion.id)))


def assert_stored_scores_are_cores(ctx: AppContext, scripts: dict[int, Questionnaire]) -> None:
    rows = stored_rows(ctx)
    assert rows
    for row in rows:
        expected = score_columns(score(scripts[row.questionnaire_version], row.answers))
        assert {c: getattr(row, c) for c in SCORE_COLUMNS} == expected, row.answers


def progress_composite(client: TestClient, auth: dict[str, str]) -> tuple[float | None, int]:
    report = client.get("/v1/reports/progress", headers=auth).json()
    [service] = report["services"]
    return service["composite"], service["interviews_scored"]


def expected_composite(ctx: AppContext, scripts: dict[int, Questionnaire]
                       ) -> tuple[float | None, int]:
    composites = [score(scripts[row.questionnaire_version], row.answers).composite
                  for row in stored_rows(ctx)
                  if row.primary and row.completion in ("complete", "partial")]
    present = [c for c in composites if c is not None]
    return (fmean(present) if present else None), len(present)


def push_random_interviews(ctx: AppContext, client: TestClient, auth: dict[str, str],
                           rng: random.Random, n: int) -> list[dict[str, Any]]:
    cases = claim(client, auth, n)
    items = []
    for case in cases:
        version = rng.choice([1, 2, 9])
        item = interview_item(case, ctx.clock.now(),
                              random_answers(rng, SCRIPTS[min(version, 2) - 1]))
        item["payload"]["questionnaire_version"] = version
        items.append(item)
    assert {r["status"] for r in push(client, auth, items)} == {"stored"}
    return items


@pytest.mark.parametrize("fast_path", [True, False])
def test_pushed_versions_store_cores_scores_and_progress_adds_them_up(
        ctx, client, people, scripts, monkeypatch, fast_path) -> None:  # noqa: F811
    monkeypatch.setattr(push_service, "FAST_PATH", fast_path)
    seed_cases(ctx, scripts.service_id, 24)
    rng = random.Random(14)
    firsts = push_random_interviews(ctx, client, people["one"], rng, 24)

    assert_stored_scores_are_cores(ctx, scripts)
    composite, n = expected_composite(ctx, scripts)
    assert n > 5
    got, got_n = progress_composite(client, people["ana"])
    assert got_n == n and got == pytest.approx(composite, rel=1e-12)

    # corrections: the new versions are scored, and become what the report adds up
    for item in firsts[:6]:
        correct(ctx, client, people, item["case_id"], item, random_answers(rng, DEFAULT))
    assert_stored_scores_are_cores(ctx, scripts)
    composite, n = expected_composite(ctx, scripts)
    got, got_n = progress_composite(client, people["ana"])
    assert got_n == n and got == pytest.approx(composite, rel=1e-12)


def test_a_supervisors_choice_of_version_moves_the_composite(
        ctx, client, people, scripts) -> None:  # noqa: F811
    seed_cases(ctx, scripts.service_id, 1)
    [case] = claim(client, people["one"], 1)
    low = {"consent": "yes", "availed": "yes", **{i.name: "1" for i in DEFAULT.indicators()}}
    high = {**low, **{i.name: "5" for i in DEFAULT.indicators()}}
    # enum1 goes offline; the case moves to enum2, who completes it first: a double completion
    reassign(client, people["boss"], case["case_id"], "enum2")
    push(client, people["two"], [interview_item(as_held(ctx, case["case_id"]),
                                                ctx.clock.now(), high)], "dev-enum2")
    late = interview_item(case, ctx.clock.now(), low)
    [result] = push(client, people["one"], [late])
    assert result["status"] == "stored_conflict"
    assert progress_composite(client, people["ana"]) == (5.0, 1)  # the first received

    r = client.post(f"/v1/conflicts/{result['conflict_id']}/resolve", headers=people["boss"],
                    json={"primary_version_uuid": late["payload"]["version_uuid"],
                          "resolution": "enum1's interview is the one the respondent gave"})
    assert r.status_code == 200, r.text
    assert progress_composite(client, people["ana"]) == (1.0, 1)


# --- the migration's backfill ----------------------------------------------------------------


def test_the_migration_scores_versions_stored_before_it(
        ctx, client, people, scripts) -> None:  # noqa: F811
    seed_cases(ctx, scripts.service_id, 12)
    push_random_interviews(ctx, client, people["one"], random.Random(6), 12)
    before = [{c: getattr(r, c) for c in SCORE_COLUMNS} for r in stored_rows(ctx)]
    config = alembic_config()
    with ctx.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002_h4_time")  # the columns are dropped...
    with ctx.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")  # ...and filled in again from the answers
    assert [{c: getattr(r, c) for c in SCORE_COLUMNS} for r in stored_rows(ctx)] == before
    assert_stored_scores_are_cores(ctx, scripts)


def test_backfill_reads_in_chunks_and_overwrites(
        ctx, client, people, scripts) -> None:  # noqa: F811
    seed_cases(ctx, scripts.service_id, 7)
    push_random_interviews(ctx, client, people["one"], random.Random(7), 7)
    with transaction(ctx.sessions) as session:
        session.execute(update(InterviewVersion).values(dict.fromkeys(SCORE_COLUMNS, 3.0)))
    seen: list[int] = []
    with ctx.engine.begin() as connection:
        assert backfill(connection, chunk=3, progress=seen.append) == 7
    assert seen == [3, 6, 7]
    assert_stored_scores_are_cores(ctx, scripts)
