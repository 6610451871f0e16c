"""A simple enumerator client for the model-based test: the cases it believes it holds (with
their assignment_version), a local outbox of items it made (with uuids, in creation order), its
feed cursor, its own clock offset and the requests whose replies the network lost."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tests.support.factories import attempt_item, interview_item


@dataclass
class ClientModel:
    name: str
    #: case_id -> the assignment_version this device believes it holds
    held: dict[int, int] = field(default_factory=dict)
    #: items saved locally and not yet acknowledged by the server, oldest first
    outbox: list[dict[str, Any]] = field(default_factory=list)
    #: item_uuid -> the settled result the server gave
    acknowledged: dict[str, str] = field(default_factory=dict)
    #: every push body sent, for replays of old batches
    sent: list[dict[str, Any]] = field(default_factory=list)
    #: corrections asked for by a supervisor: case_id -> the correction (Correction's keys)
    corrections: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: rejected versions already corrected here: a later view of the case may still show
    #: the correction until the server has the corrected version
    corrected: set[str] = field(default_factory=set)
    cursor: int = 0
    clock_offset: timedelta = timedelta(0)
    pending_claim: dict[str, Any] | None = None
    pending_ack: dict[str, Any] | None = None

    @property
    def device(self) -> str:
        return f"dev-{self.name}"

    def local_time(self, server_now: datetime) -> datetime:
        return server_now + self.clock_offset

    def claim_body(self, n: int) -> dict[str, Any]:
        return {"request_uuid": str(uuid.uuid4()), "device_id": self.device, "max_cases": n}

    def push_body(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        return {"device_id": self.device, "batch_uuid": str(uuid.uuid4()), "items": items}

    def make_attempt(self, case_id: int, outcome: str, at: datetime) -> dict[str, Any]:
        case = {"case_id": case_id, "assignment_version": self.held[case_id]}
        note = "not interested" if outcome == "hard_refusal" else ""
        item = attempt_item(case, at, outcome=outcome, note=note)
        self.outbox.append(item)
        return item

    def complete_interview(self, case_id: int, at: datetime) -> dict[str, Any]:
        case = {"case_id": case_id, "assignment_version": self.held.pop(case_id)}
        item = interview_item(case, at)
        self.outbox.append(item)
        return item

    def correct(self, case_id: int, at: datetime) -> dict[str, Any]:
        rejected = self.corrections.pop(case_id)
        self.corrected.add(rejected["version_uuid"])
        case = {"case_id": case_id, "assignment_version": self.held.pop(case_id)}
        item = interview_item(case, at, answers=rejected["answers"],
                              interview_uuid=rejected["interview_uuid"],
                              base_version_uuid=rejected["version_uuid"])
        self.outbox.append(item)
        return item

    def settle(self, results: list[dict[str, Any]]) -> None:
        """Drop acknowledged items from the outbox (retry_later stays)."""
        settled = {r["item_uuid"]: r["status"] for r in results if r["status"] != "retry_later"}
        self.acknowledged.update(settled)
        self.outbox = [i for i in self.outbox if i["item_uuid"] not in settled]

    def apply_change(self, change: dict[str, Any]) -> None:
        case_id, version = change["case_id"], change["assignment_version"]
        if change["type"] == "case_upsert":
            self.held[case_id] = version
            correction = change["body"].get("correction")
            if correction is not None and correction["version_uuid"] not in self.corrected:
                self.corrections[case_id] = correction
        elif change["type"] == "case_revoked" and self.held.get(case_id, version) < version:
            del self.held[case_id]
            self.corrections.pop(case_id, None)
        elif change["type"] == "interview_rejected":
            self.corrections[case_id] = change["body"]
