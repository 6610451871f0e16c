"""The disposition tests' set-up, shared with the stored-scores tests: people, claims, pushes,
a supervisor's reassignment and a correction, through the real API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from cati_app.server.models import Case, InterviewVersion
from tests.support.factories import (
    COMPLETE_ANSWERS,
    claim_body,
    interview_item,
    push_body,
)

INDICATORS = ("acc_info", "acc_reach", "time_wait", "time_turnaround", "att_welcome",
              "att_courtesy", "int_fair", "int_payment", "fb_channels", "fb_willing")
#: six substantive indicators of ten: a partial interview
PARTIAL_ANSWERS = {k: v for k, v in COMPLETE_ANSWERS.items()
                   if k not in ("int_fair", "int_payment", "fb_channels", "fb_willing")}
#: "did you use this service?" no: not eligible
NOT_USER_ANSWERS = {"consent": "yes", "availed": "no"}
#: two indicators answered: a break-off
BREAK_OFF_ANSWERS = {"consent": "yes", "availed": "yes", "acc_info": "4", "acc_reach": "3"}


def make_people(make_user, login) -> dict[str, Any]:
    """Two enumerators, a supervisor and an analyst, signed in: the ``people`` fixture."""
    for name in ("enum1", "enum2"):
        make_user(name)
    make_user("boss", "supervisor")
    make_user("ana", "analyst")
    return {"one": login("enum1"), "two": login("enum2", "dev-enum2"), "boss": login("boss"),
            "ana": login("ana")}


def claim(client, auth, n: int, device_id: str = "dev-enum1", ack: bool = True
          ) -> list[dict[str, Any]]:
    r = client.post("/v1/queue/claim", json=claim_body(n, device_id), headers=auth)
    assert r.status_code == 200, r.text
    grant = r.json()
    if ack and grant["cases"]:
        done = client.post("/v1/queue/ack", headers=auth, json={
            "grant_id": grant["grant_id"], "case_ids": [c["case_id"] for c in grant["cases"]]})
        assert done.status_code == 200, done.text
    return grant["cases"]


def push(client, auth, items: list[dict[str, Any]], device_id: str = "dev-enum1"
         ) -> list[dict[str, Any]]:
    r = client.post("/v1/sync/push", json=push_body(items, device_id), headers=auth)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def reassign(client, boss, case_id: int, to_user: str) -> None:
    r = client.post("/v1/cases/assign", headers=boss, json={
        "case_ids": [case_id], "to_user": to_user, "force": True, "reason": "enum1 is off sick"})
    assert r.json()["results"][0]["result"] == "assigned", r.text


def as_held(ctx, case_id: int) -> dict[str, Any]:
    """What a holder's device knows of the case: its id and current assignment version."""
    with ctx.sessions() as s:
        return {"case_id": case_id,
                "assignment_version": s.get_one(Case, case_id).assignment_version}


def load(ctx, case_id: int) -> Case:
    with ctx.sessions() as s:
        return s.get_one(Case, case_id)


def rates(client, auth) -> dict[str, int]:
    r = client.get("/v1/reports/response-rates", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()["counts"]


def assert_at_most_one_primary(ctx) -> None:
    """The invariant: a case never has two primary interview versions."""
    with ctx.sessions() as s:
        worst = s.scalar(select(func.count()).select_from(InterviewVersion)
                         .where(InterviewVersion.primary.is_(True))
                         .group_by(InterviewVersion.case_id)
                         .order_by(func.count().desc()).limit(1))
    assert (worst or 0) <= 1


def claimable(client, auth, device_id: str) -> list[int]:
    return [c["case_id"] for c in claim(client, auth, 10, device_id, ack=False)]


# --- corrections -----------------------------------------------------------------------------


def correct(ctx, client, people, case_id: int, first: dict[str, Any],
            answers: dict[str, Any]) -> dict[str, Any]:
    """The supervisor sends the interview back; its enumerator pushes a corrected version."""
    interview_uuid = first["payload"]["interview_uuid"]
    r = client.post(f"/v1/interviews/{interview_uuid}/reject", headers=people["boss"],
                    json={"comment": "please check the answers with the respondent"})
    assert r.status_code == 200, r.text
    item = interview_item(as_held(ctx, case_id), ctx.clock.now(), answers,
                          base_version_uuid=first["payload"]["version_uuid"])
    item["payload"]["interview_uuid"] = interview_uuid
    [result] = push(client, people["one"], [item])
    assert result["status"] == "stored", result
    return item
