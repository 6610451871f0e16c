"""Seed helpers for tests that work on a server database through an ``AppContext``: services,
the default questionnaire, cases, holders, interview versions, conflicts; and the request
bodies of the sync API (claims, pushes, attempts, interviews)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from cati_app.core.protocol import ChangeType
from cati_app.core.questionnaire import default_questionnaire
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import (
    AuditEntry,
    Case,
    ContactAttempt,
    FeedChange,
    InterviewVersion,
)
from cati_app.server.models import Conflict as ConflictRow
from cati_app.server.services.cases import assignments
from cati_app.server.services.catalogue import catalogue
from cati_app.server.services.reporting.stored_scores import scores_for

CID_NAME = "Issuance of New CID Card"

# --- services and cases --------------------------------------------------------------------


def seed_service(ctx: AppContext, code: str = "CID", name: str = "",
                 agency: str = "DCRC") -> int:
    """A service (named "Service <code>" unless ``name``), and the default questionnaire the
    first time (every case view needs it)."""
    with transaction(ctx.sessions) as session:
        service = catalogue.add_service(session, code=code, name=name or f"Service {code}",
                                        agency=agency, at=ctx.clock.now(), by=None)
        if not catalogue.questionnaire_versions(session):
            catalogue.add_questionnaire_version(
                session, default_questionnaire().model_dump(mode="json"),
                at=ctx.clock.now(), by=None)
        return service.id


def seed_cid_service(ctx: AppContext, code: str = "CID", name: str = CID_NAME) -> int:
    """A service as the supervision, report and export tests see it: a real name, no
    agency."""
    return seed_service(ctx, code, name, agency="")


def seed_cases(ctx: AppContext, service_id: int, n: int, *, priority: int = 50,
               phones: int = 1, start: int = 0) -> list[int]:
    """``n`` queued fresh cases, inserted in one statement; their ids in order."""
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


def seed_case(ctx: AppContext, service_id: int, **fields: Any) -> int:
    """One case through the ORM (the model's defaults), with ``fields`` overriding."""
    now = ctx.clock.now()
    values: dict[str, Any] = {
        "service_id": service_id, "respondent_name": "Dorji Wangmo", "phone1": "+97517123456",
        "phone2": "+97577123456", "office": "Thimphu Dzongkhag Office",
        "dzongkhag": "Thimphu", "date_availed": date(2026, 5, 20), "created_at": now,
        "updated_at": now, **fields}
    with transaction(ctx.sessions) as session:
        case = Case(**values)
        session.add(case)
        session.flush()
        return case.id


def give(ctx: AppContext, case_id: int, user_id: int) -> None:
    """Make ``user_id`` the holder, as a claim would."""
    with transaction(ctx.sessions) as session:
        case = session.get_one(Case, case_id)
        assignments.grant(session, case, user_id=user_id, at=ctx.clock.now(), by=user_id,
                          device_id=f"dev-{user_id}")


def load_case(ctx: AppContext, case_id: int) -> Case:
    with ctx.sessions() as s:
        return s.get_one(Case, case_id)


# --- work on the server's side, seeded through the ORM ------------------------------------


def seed_attempt(ctx: AppContext, case_id: int, user_id: int, at: datetime) -> None:
    """A no-answer call attempt received at ``at``."""
    with transaction(ctx.sessions) as session:
        session.add(ContactAttempt(
            item_uuid=str(uuid.uuid4()), case_id=case_id,
            service_id=session.get_one(Case, case_id).service_id, user_id=user_id, device_id="d",
            assignment_version=1, started_at=at, outcome="no_answer", aapor_code="3.13",
            received_at=at))


def seed_version(ctx: AppContext, case_id: int, user_id: int, *, primary: bool,
                 completion: str = "complete", interview_uuid: str | None = None,
                 answers: dict[str, Any] | None = None) -> InterviewVersion:
    now = ctx.clock.now()
    version_uuid = str(uuid.uuid4())
    answers = answers or {"consent": "yes", "q1": "4"}
    with transaction(ctx.sessions) as session:
        row = InterviewVersion(
            version_uuid=version_uuid, item_uuid=str(uuid.uuid4()),
            interview_uuid=interview_uuid or str(uuid.uuid4()), case_id=case_id,
            user_id=user_id, device_id=f"dev-{user_id}", assignment_version=1,
            questionnaire_id="set", questionnaire_version=1, started_at=now - timedelta(
                minutes=12), ended_at=now, answers=answers,
            completion=completion, primary=primary, received_at=now,
            **scores_for(default_questionnaire(), answers))  # as the push stores them
        session.add(row)
        return row


def seed_conflict(ctx: AppContext, case_id: int, versions: list[str]) -> int:
    with transaction(ctx.sessions) as session:
        row = ConflictRow(case_id=case_id, kind="double_completion", versions=versions,
                          description="two completed interviews for one case",
                          created_at=ctx.clock.now())
        session.add(row)
        session.flush()
        return row.id


# --- reading back --------------------------------------------------------------------------


def primaries(ctx: AppContext, case_id: int) -> list[str]:
    with transaction(ctx.sessions) as session:
        return list(session.scalars(select(InterviewVersion.version_uuid).where(
            InterviewVersion.case_id == case_id, InterviewVersion.primary.is_(True))))


def feed(ctx: AppContext, user_id: int, type: ChangeType | None = None) -> list[FeedChange]:
    with transaction(ctx.sessions) as session:
        query = select(FeedChange).where(FeedChange.user_id == user_id)
        if type is not None:
            query = query.where(FeedChange.type == type.value)
        return list(session.scalars(query.order_by(FeedChange.seq)))


def audits(ctx: AppContext, action: str, entity_id: object) -> list[AuditEntry]:
    with transaction(ctx.sessions) as session:
        return list(session.scalars(select(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.entity_id == str(entity_id))))


# --- request bodies of the sync API --------------------------------------------------------


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


def assert_error(response: Any, status: int) -> dict[str, Any]:
    """The API's error shape with ``status``; returns the body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail", "fields"} and body["detail"]
    return body
