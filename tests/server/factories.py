"""Seed helpers for server tests: services, the default questionnaire and queued cases."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from cati_app.core.questionnaire import default_questionnaire
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import Case
from cati_app.server.services.catalogue import catalogue


def seed_service(ctx: AppContext, code: str = "CID") -> int:
    with transaction(ctx.sessions) as session:
        service = catalogue.add_service(session, code=code, name=f"Service {code}",
                                        agency="DCRC", at=ctx.clock.now(), by=None)
        if not catalogue.questionnaire_versions(session):
            catalogue.add_questionnaire_version(
                session, default_questionnaire().model_dump(mode="json"),
                at=ctx.clock.now(), by=None)
        return service.id


def seed_cases(ctx: AppContext, service_id: int, n: int, *, priority: int = 50,
               phones: int = 1, start: int = 0) -> list[int]:
    now = ctx.clock.now()
    rows: list[dict[str, Any]] = []
    for i in range(start, start + n):
        numbers = [f"+97517{(100000 + i * 7 + k) % 1000000:06d}" for k in range(phones)]
        rows.append(dict(
            service_id=service_id, respondent_name=f"Respondent {i}", phone1=numbers[0],
            phone2=numbers[1] if phones > 1 else None,
            phone3=numbers[2] if phones > 2 else None, office="Thimphu",
            dzongkhag="Thimphu", date_availed=date(2026, 5, 1) + timedelta(days=i % 28),
            language="dz", priority=priority, state="queued", pool="fresh",
            assignment_version=0, attempt_count=0, next_phone_index=0, created_at=now,
            updated_at=now))
    with transaction(ctx.sessions) as session:
        result = session.execute(insert(Case).returning(Case.id), rows)
        return sorted(result.scalars().all())


def claim_body(max_cases: int = 5, device_id: str = "dev-enum1") -> dict[str, Any]:
    return {"request_uuid": str(uuid.uuid4()), "device_id": device_id, "max_cases": max_cases}


def attempt_item(case: dict[str, Any], at: datetime, outcome: str = "no_answer",
                 **payload: Any) -> dict[str, Any]:
    return {"item_uuid": str(uuid.uuid4()), "kind": "contact_attempt",
            "case_id": case["case_id"], "assignment_version": case["assignment_version"],
            "payload": {"started_at": at.isoformat(), "ended_at": at.isoformat(),
                        "phone_index": 0, "outcome": outcome, **payload}}


COMPLETE_ANSWERS = {
    "consent": "yes", "availed": "yes",
    "acc_info": "4", "acc_reach": "5", "time_wait": "3", "time_turnaround": "2",
    "att_welcome": "5", "att_courtesy": "4", "int_fair": "dk", "int_payment": "5",
    "fb_channels": "ref", "fb_willing": "4", "comment": "Quick service", "complaint": "no",
}


def interview_item(case: dict[str, Any], at: datetime, answers: dict[str, Any] | None = None,
                   **extra: Any) -> dict[str, Any]:
    return {"item_uuid": str(uuid.uuid4()), "kind": "interview_version",
            "case_id": case["case_id"], "assignment_version": case["assignment_version"],
            "payload": {"interview_uuid": str(uuid.uuid4()), "version_uuid": str(uuid.uuid4()),
                        "questionnaire_id": "set", "questionnaire_version": 1,
                        "language": "en", "started_at": at.isoformat(),
                        # 4 minutes: pushed at a fixed clock's ``at``, an end later than
                        # the server's clock tolerance (5 min) would be flagged as a clock ahead
                        "ended_at": (at + timedelta(minutes=4)).isoformat(),
                        "answers": answers if answers is not None else COMPLETE_ANSWERS,
                        "phone_index": 0, **extra}}


def push_body(items: list[dict[str, Any]], device_id: str = "dev-enum1") -> dict[str, Any]:
    return {"device_id": device_id, "batch_uuid": str(uuid.uuid4()), "items": items}


def assign_via_api(client: Any, boss: dict[str, str], ids: list[int], to_user: str | None,
                   force: bool = False, reason: str = "") -> None:
    """A supervisor's assignment (or return to the pool, ``to_user=None``) through the API."""
    r = client.post("/v1/cases/assign", json={"case_ids": ids, "to_user": to_user,
                                               "force": force, "reason": reason}, headers=boss)
    assert r.status_code == 200, r.text


def load_case(ctx: AppContext, case_id: int) -> Case:
    with ctx.sessions() as s:
        return s.get_one(Case, case_id)
