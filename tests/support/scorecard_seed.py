"""Respondents for the scorecard tests: a closed case and its primary interview whose ten
indicators all have one answer, so the respondent's composite is that answer."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from cati_app.core.questionnaire import default_questionnaire
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import Case, InterviewVersion, SampleBatch
from cati_app.server.services.reporting.stored_scores import scores_for

NAME = "Dorji Wangmo"
PHONE = "+97517123456"


def answers_all(value: int) -> dict[str, Any]:
    answers: dict[str, Any] = {"consent": "yes", "availed": "yes", "complaint": "no"}
    for item in default_questionnaire().indicators():
        answers[item.name] = str(value)
    return answers


def batch(ctx: AppContext, service_id: int, name: str = "draw") -> int:
    with transaction(ctx.sessions) as session:
        row = SampleBatch(name=name, service_id=service_id, imported_at=ctx.clock.now(),
                          imported_by=None)
        session.add(row)
        session.flush()
        return row.id


def case(ctx: AppContext, service_id: int, *, office: str = "Paro", day: date,
         disposition_code: str | None = "1.1", **fields: Any) -> int:
    now = ctx.clock.now()
    with transaction(ctx.sessions) as session:
        row = Case(service_id=service_id, respondent_name=NAME, phone1=PHONE, office=office,
                   dzongkhag=office, date_availed=day, state="closed",
                   disposition_code=disposition_code, created_at=now, updated_at=now,
                   **fields)
        session.add(row)
        session.flush()
        return row.id


def respondent(ctx: AppContext, service_id: int, user_id: int, value: int, *,
               office: str = "Paro", day: date, completion: str = "complete",
               primary: bool = True, review_status: str = "pending", **fields: Any) -> int:
    case_id = case(ctx, service_id, office=office, day=day, **fields)
    answers = answers_all(value)
    now = ctx.clock.now()
    with transaction(ctx.sessions) as session:
        session.add(InterviewVersion(
            version_uuid=str(uuid.uuid4()), item_uuid=str(uuid.uuid4()),
            interview_uuid=str(uuid.uuid4()), case_id=case_id, user_id=user_id,
            device_id="dev", assignment_version=1, questionnaire_id="set",
            questionnaire_version=1, started_at=now - timedelta(minutes=12), ended_at=now,
            answers={**answers, "comment": f"call me on {PHONE}"}, completion=completion,
            primary=primary, review_status=review_status, received_at=now,
            **scores_for(default_questionnaire(), answers)))
    return case_id
