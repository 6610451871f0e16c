"""Demo history for the scorecards (issue 16): completed interviews over two quarters in
several offices, so every scorecard chart and table has data.

CID's history is a drawn sample (cases carry an inclusion probability and a stratum per
office, with some nonrespondents and a few not-eligible cases), so its cells are weighted;
MIMO's is a plain call list, so its cells are unweighted. One office (Mongar) scores clearly
lower and one (Paro) improves from one quarter to the next, so the flags have something to
show. Seeded from a fixed random generator; dates follow the clock.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cati_app.core.clock import THIMPHU, to_thimphu
from cati_app.core.estimation.periods import first_day, last_periods
from cati_app.core.questionnaire import default_questionnaire
from cati_app.server.models import (
    Case,
    CaseState,
    ContactAttempt,
    InterviewVersion,
    SampleBatch,
    User,
)
from cati_app.server.services.catalogue import catalogue
from cati_app.server.services.reporting.stored_scores import scores_for

HISTORY_BATCH = "Demo history"


@dataclass(frozen=True)
class Office:
    name: str
    dzongkhag: str
    #: the mean answer (1–5) in the earlier and the later quarter
    means: tuple[float, float]
    #: completes per quarter
    completes: int


OFFICES: dict[str, tuple[Office, ...]] = {
    "CID": (
        Office("DCRC Head Office, Thimphu", "Thimphu", (4.0, 4.1), 48),
        Office("Paro Dzongkhag Civil Registration Office", "Paro", (3.3, 4.2), 40),
        Office("Chhukha Dzongkhag Civil Registration Office", "Chhukha", (3.9, 3.9), 36),
        Office("Mongar Dzongkhag Civil Registration Office", "Mongar", (2.8, 2.9), 34),
        Office("Gasa Dzongkhag Civil Registration Office", "Gasa", (3.8, 3.7), 8),
    ),
    "MIMO": (
        Office("Thimphu Dzongkhag Civil Registration Office", "Thimphu", (3.7, 3.8), 36),
        Office("Sarpang Dzongkhag Civil Registration Office", "Sarpang", (3.6, 3.5), 24),
        Office("Trashigang Dzongkhag Civil Registration Office", "Trashigang", (3.5, 3.9), 32),
    ),
}
#: drawn samples (CID): π per office stratum, and per 10 sampled: 7 respond, 1 not eligible
CID_PI = 0.2
DISPOSITIONS = (("refusal", "2.112"), ("no_answer", "3.13"), ("not_user", "4.10"))


def seed_history(session: Session, *, at: datetime, seed: int = 16) -> int:
    """The history, once; returns how many completed interviews it added (0 if present)."""
    if session.scalar(select(SampleBatch.id).where(SampleBatch.name == HISTORY_BATCH)
                      .limit(1)) is not None:
        return 0
    enumerator = session.scalar(select(User.id).where(User.username == "enum1"))
    if enumerator is None:
        return 0
    rng = random.Random(seed)
    quarters = _two_quarters(to_thimphu(at).date())
    made = 0
    for code, offices in OFFICES.items():
        service = catalogue.service_by_code(session, code)
        batch = SampleBatch(name=HISTORY_BATCH, service_id=service.id, imported_at=at,
                            imported_by=None)
        session.add(batch)
        session.flush()
        for office in offices:
            for period, (start, end) in enumerate(quarters):
                made += _seed_office(session, rng, code == "CID", service.id, batch.id,
                                     office, period, start, end, enumerator, at)
    return made


def _two_quarters(today: date) -> list[tuple[date, date]]:
    """The current quarter and the one before (service dates up to three days ago); the two
    before it when the current quarter is not yet a fortnight old."""
    labels = last_periods(today, "quarter", 3)
    starts = [first_day(label, "quarter") for label in labels]
    if (today - starts[2]).days < 14:
        return [(starts[0], starts[1] - timedelta(days=1)),
                (starts[1], starts[2] - timedelta(days=1))]
    return [(starts[1], starts[2] - timedelta(days=1)), (starts[2], today - timedelta(days=3))]


def _seed_office(session: Session, rng: random.Random, drawn: bool, service_id: int,
                 batch_id: int, office: Office, period: int, start: date, end: date,
                 user_id: int, at: datetime) -> int:
    sampled = office.completes * 10 // 7 if drawn else office.completes
    q = default_questionnaire()
    for index in range(sampled):
        availed = start + timedelta(days=rng.randint(0, max(0, (end - start).days)))
        called = min(datetime.combine(availed + timedelta(days=2), time(10), THIMPHU)
                     .astimezone(UTC), at - timedelta(hours=1))
        outcome = ("complete", "1.1") if index < office.completes else \
            DISPOSITIONS[index % len(DISPOSITIONS)]
        case_id = _case(session, rng, service_id, batch_id, office, availed, called, outcome,
                        drawn, period)
        _attempt(session, case_id, service_id, user_id, called, outcome)
        if outcome[0] == "complete":
            answers = _answers(rng, office.means[period], q)
            _interview(session, case_id, user_id, called, answers)
    return office.completes


def _case(session: Session, rng: random.Random, service_id: int, batch_id: int,
          office: Office, availed: date, called: datetime, outcome: tuple[str, str],
          drawn: bool, period: int) -> int:
    values: dict[str, Any] = dict(
        batch_id=batch_id, service_id=service_id, respondent_name="Demo respondent",
        phone1=f"+97577{rng.randrange(10**6):06d}", office=office.name,
        dzongkhag=office.dzongkhag, date_availed=availed, language="dz",
        state=CaseState.CLOSED, pool="fresh", assignment_version=1, attempt_count=1,
        last_called_at=called, disposition=outcome[0], disposition_code=outcome[1],
        created_at=called - timedelta(days=1), updated_at=called, closed_at=called,
        inclusion_probability=CID_PI if drawn else None,
        stratum=f"{office.name} Q{period + 1}" if drawn else None)
    return int(session.execute(insert(Case).returning(Case.id), [values]).scalar_one())


def _attempt(session: Session, case_id: int, service_id: int, user_id: int, at: datetime,
             outcome: tuple[str, str]) -> None:
    # attempts carry their case's service (issue 14: progress reads them by service)
    session.execute(insert(ContactAttempt), [dict(
        item_uuid=str(uuid.uuid4()), case_id=case_id, service_id=service_id, user_id=user_id,
        device_id="demo",
        assignment_version=1, started_at=at - timedelta(minutes=15), ended_at=at,
        outcome=outcome[0], aapor_code=outcome[1], received_at=at, effective_at=at)])


def _answers(rng: random.Random, mean: float, q: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {"consent": "yes", "availed": "yes", "complaint": "no"}
    # people differ more than their answers to one script do: a respondent-level shift
    mean += rng.gauss(0, 0.6)
    for item in q.indicators():
        if rng.random() < 0.04:
            answers[item.name] = "dk"
            continue
        answers[item.name] = str(min(5, max(1, round(rng.gauss(mean, 0.8)))))
    return answers


def _interview(session: Session, case_id: int, user_id: int, at: datetime,
               answers: dict[str, Any]) -> None:
    session.execute(insert(InterviewVersion), [dict(
        version_uuid=str(uuid.uuid4()), item_uuid=str(uuid.uuid4()),
        interview_uuid=str(uuid.uuid4()), case_id=case_id, user_id=user_id,
        device_id="demo", assignment_version=1, questionnaire_id="set",
        questionnaire_version=default_questionnaire().version,
        started_at=at - timedelta(minutes=14), ended_at=at, answers=answers,
        completion="complete", problems=[], primary=True, stale=False,
        review_status="approved", review_comment="", received_at=at,
        **scores_for(default_questionnaire(), answers))])
