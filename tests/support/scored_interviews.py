"""Scored interviews for scorecard tests: cases with an office and primary complete interview
versions whose stored scores are given directly (as the push would store them), so a test
decides what each office's respondents said. No real names or numbers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from cati_app.core.clock import to_thimphu
from cati_app.core.questionnaire.model import PARAMETERS
from cati_app.server.db import transaction
from cati_app.server.models import Case, InterviewVersion, Service, User


def seed_scored_interviews(sessions: sessionmaker[Session], *, service_code: str,
                           office: str, dzongkhag: str, started_at: datetime,
                           composites: Sequence[float], name_prefix: str = "Person") -> None:
    """One completed case per entry of ``composites``, availed the day it was called (the
    scorecard's period); the parameters spread around it (some
    better, some worse) and the composite stored is their mean, as scoring makes it."""
    with transaction(sessions) as session:
        service_id = session.scalar(select(Service.id).where(Service.code == service_code))
        user_id = session.scalar(select(User.id).order_by(User.id).limit(1))
        assert service_id is not None and user_id is not None, "seed a service and a user first"
        cases: list[dict[str, Any]] = [dict(
            service_id=service_id, respondent_name=f"{name_prefix} {i}",
            phone1=f"+9751779{i % 10000:04d}", office=office, dzongkhag=dzongkhag,
            date_availed=to_thimphu(started_at).date(), language="en", priority=50, state="closed",
            pool="fresh", assignment_version=1, attempt_count=1, next_phone_index=0,
            created_at=started_at, updated_at=started_at) for i in range(len(composites))]
        ids = session.execute(insert(Case).returning(Case.id), cases).scalars().all()
        versions = [dict(
            version_uuid=str(uuid.uuid4()), item_uuid=str(uuid.uuid4()),
            interview_uuid=str(uuid.uuid4()), case_id=case_id, user_id=user_id,
            device_id="dev-seed", assignment_version=1, questionnaire_id="set",
            questionnaire_version=1, started_at=started_at,
            ended_at=started_at + timedelta(minutes=10), answers={}, completion="complete",
            primary=True, received_at=started_at + timedelta(minutes=11),
            **_scores(score)) for case_id, score in zip(sorted(ids), composites, strict=True)]
        session.execute(insert(InterviewVersion), versions)


#: how far each parameter lies from the respondent's overall score
SPREAD = {"accessibility": 0.3, "timeliness": -0.6, "attitude": 0.4, "integrity": 0.1,
          "feedback": -0.2}


def _scores(overall: float) -> dict[str, float]:
    parameters = {p: min(5.0, max(1.0, overall + SPREAD.get(p, 0.0))) for p in PARAMETERS}
    return {**{f"score_{p}": v for p, v in parameters.items()},
            "score_composite": sum(parameters.values()) / len(parameters)}
