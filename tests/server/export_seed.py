"""The analyst workbook's seed: eight cases over two services with their attempts and
interviews, and readers of the downloaded workbook. Used by test_exports.py (which recomputes
every figure from this seed) and test_exports_privacy.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import CaseState, ContactAttempt, InterviewVersion
from tests.support.factories import seed_case, seed_cid_service

PARAMETERS = {"Accessibility": ("acc_info", "acc_reach"),
              "Timeliness": ("time_wait", "time_turnaround"),
              "Attitude": ("att_welcome", "att_courtesy"), "Integrity": ("int_fair", "int_payment"),
              "Feedback": ("fb_channels", "fb_willing")}
INDICATORS = [name for names in PARAMETERS.values() for name in names]
START = datetime(2026, 6, 1, 3, 30, tzinfo=UTC)  # 09:30 in Thimphu


def rated(*values: str, **extra: Any) -> dict[str, Any]:
    return {"consent": "yes", "availed": "yes", **dict(zip(INDICATORS, values, strict=False)),
            **extra}


@dataclass
class SeedCase:
    name: str
    phone: str
    service: str
    code: str | None  # disposition code; None: never attempted
    enumerator: str | None = None
    answers: dict[str, Any] | None = None
    completion: str = "complete"
    minutes: int = 10
    availed: date = date(2026, 5, 20)
    attempts: list[tuple[str, str, int]] = field(default_factory=list)  # outcome, code, minutes
    #: the open texts that count (a complaint text after "no" is stale)
    comment: str | None = None
    complaint: str | None = None
    case_id: int = 0


SEED = [
    SeedCase("Dechen Zangmo", "+97517111001", "CID", "1.1", "karma",
             rated("4", "5", "3", "2", "5", "4", "dk", "5", "ref", "4", comment="Staff were kind",
                   complaint="yes", complaint_text="Asked for an extra fee"),
             attempts=[("no_answer", "3.13", 1), ("complete", "1.1", 12)],
             comment="Staff were kind", complaint="Asked for an extra fee"),
    SeedCase("Tashi Dorji", "+97577222002", "CID", "1.1", "pema",
             rated("5", "5", "5", "4", "dk", "dk", "3", "ref", "2", "1", complaint="no",
                   complaint_text="Stale: only said before changing to no"),
             minutes=14, attempts=[("complete", "1.1", 15)]),
    SeedCase("Karma Choden", "+97517333003", "CID", "1.2", "karma",
             rated("3", "3", "4", "4", "5", "2"), completion="partial", minutes=6,
             attempts=[("busy", "3.12", 0), ("partial", "1.2", 7)]),
    SeedCase("Sonam Wangchuk", "+97517444004", "MOVE", "1.1", "pema",
             rated("2", "2", "1", "1", "3", "3", "4", "4", "5", "5", comment="  "),
             minutes=8, attempts=[("complete", "1.1", 9)]),
    SeedCase("Pema Lhamo", "+97577555005", "CID", "2.112", "karma",
             attempts=[("soft_refusal", "2.112", 2)]),
    SeedCase("Ugyen Tshering", "+97517666006", "CID", None),
    SeedCase("Kinley Wangmo", "+97577777007", "MOVE", "4.10", "pema",
             attempts=[("not_user", "4.10", 1)]),
    SeedCase("Jigme Norbu", "+97517888008", "CID", "1.1", "karma",
             rated("1", "1", "1", "1", "1", "1", "1", "1", "1", "1"), availed=date(2026, 4, 2),
             attempts=[("complete", "1.1", 11)]),
]
#: a second, non-primary version of the MOVE interview: exports must ignore it
NOT_PRIMARY = rated("5", "5", "5", "5", "5", "5", "5", "5", "5", "5")


def seed(ctx: AppContext, make_user: Callable[..., int]) -> dict[str, int]:
    users = {"karma": make_user("karma"), "pema": make_user("pema")}
    services = {"CID": seed_cid_service(ctx),
                "MOVE": seed_cid_service(ctx, "MOVE", "Move-in/out")}
    for n, spec in enumerate(SEED):
        closed = spec.code is not None and spec.code[0] in "124"
        spec.case_id = seed_case(
            ctx, services[spec.service], respondent_name=spec.name, phone1=spec.phone,
            phone2=None, date_availed=spec.availed, disposition_code=spec.code,
            state=CaseState.CLOSED if closed else CaseState.QUEUED)
        at = START + timedelta(hours=n)
        with transaction(ctx.sessions) as session:
            for outcome, code, minutes in spec.attempts:
                session.add(ContactAttempt(
                    item_uuid=str(uuid.uuid4()), case_id=spec.case_id,
                    service_id=services[spec.service], user_id=users[spec.enumerator or ""],
                    device_id="d", assignment_version=1,
                    started_at=at, ended_at=at + timedelta(minutes=minutes), outcome=outcome,
                    aapor_code=code, note=f"spoke to {spec.name}", received_at=at))
                at += timedelta(minutes=minutes + 5)
            if spec.answers is not None:
                session.add(interview(spec.case_id, users[spec.enumerator or ""], spec.answers,
                                      spec.completion, START, spec.minutes, primary=True))
                if spec.service == "MOVE":
                    session.add(interview(spec.case_id, users["karma"], NOT_PRIMARY,
                                          "complete", START, 30, primary=False))
    return users


def interview(case_id: int, user_id: int, answers: dict[str, Any], completion: str,
              at: datetime, minutes: int, *, primary: bool) -> InterviewVersion:
    return InterviewVersion(
        version_uuid=str(uuid.uuid4()), item_uuid=str(uuid.uuid4()),
        interview_uuid=str(uuid.uuid4()), case_id=case_id, user_id=user_id, device_id="d",
        assignment_version=1, questionnaire_id="set", questionnaire_version=1, language="en",
        started_at=at, ended_at=at + timedelta(minutes=minutes), answers=answers,
        completion=completion, primary=primary, received_at=at)


def download(client: TestClient, headers: dict[str, str], **params: Any) -> bytes:
    response = client.get("/v1/exports/summary.xlsx", params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    return response.content


def sheet_rows(book: Any, title: str, header_first: str) -> list[dict[str, Any]]:
    """The table of a sheet as dicts, starting at the row whose first cell is header_first.
    A header in words is keyed by the code its note gives (``AAPOR RR1: …`` is "RR1",
    ``indicator acc_info`` is "% satisfied: acc_info"), so the tests read codes."""
    rows = list(book[title].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row and row[0] == header_first)
    titles = [_code_of(cell) for cell in book[title][start + 1]]
    table = []
    for row in rows[start + 1:]:
        if not row or row[0] is None:
            break
        table.append(dict(zip(titles, row, strict=False)))
    return table


def _code_of(header: Any) -> Any:
    note = header.comment.text if header.comment is not None else ""
    if note.startswith("AAPOR "):
        return note.removeprefix("AAPOR ").split(":", 1)[0]
    if note.startswith("indicator "):
        return f"% satisfied: {note.removeprefix('indicator ')}"
    return header.value


def exported(cases: list[SeedCase]) -> list[SeedCase]:
    return [c for c in cases if c.answers is not None]
