"""The sampling routes end to end over real HTTP (issue 15; both backends): a supervisor
imports a frame, draws, releases a replicate; an analyst reads the sample report; an
enumerator's claim finds the released cases through the unchanged call queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from cati_app.core.protocol import Role
from cati_app.core.protocol_sampling import DrawReport, FrameImportResult, ReleaseResult
from cati_app.server.context import AppContext
from tests.support.factories import claim_body, seed_service
from tests.support.frames import frame_csv, frame_records
from tests.support.server_thread import InThreadServer

TIMEOUT = 30


def test_import_draw_release_report_and_claim(
        ctx: AppContext, live_server: InThreadServer, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    for code in ("CID", "MIMO"):
        seed_service(ctx, code)
    for name, role in (("sup", Role.supervisor), ("ana", Role.analyst),
                       ("enum1", Role.enumerator)):
        make_user(name, role)
    sup, ana, enum = login("sup"), login("ana"), login("enum1")
    url = live_server.url

    def call(method: str, path: str, headers: dict[str, str], **kwargs: Any
             ) -> requests.Response:
        return requests.request(method, url + path, headers=headers, timeout=TIMEOUT, **kwargs)

    records = frame_records({("CID", "Thimphu"): 20, ("MIMO", "Paro"): 10})
    records[0]["phone"] = "not a number"
    imported = call("POST", "/v1/frames/import", sup, data={
        "name": "May register", "agency": "DCRC", "period_start": "2026-05-01",
        "period_end": "2026-05-31"}, files={"file": ("may.csv", frame_csv(records))})
    assert imported.status_code == 200, imported.text
    result = FrameImportResult.model_validate(imported.json())
    assert (result.rows_read, result.accepted, result.rejected) == (30, 30, 0)
    assert [p.row for p in result.problems] == [2, 2]  # the bad number, and "kept"
    frames = call("GET", "/v1/frames", ana).json()
    assert [(f["id"], f["rows"], f["services"]) for f in frames] == [
        (result.frame_id, 30, ["CID", "MIMO"])]

    refused = call("POST", f"/v1/frames/{result.frame_id}/draws", ana,
                   json={"sample_size": 10})
    assert refused.status_code == 403
    made = call("POST", f"/v1/frames/{result.frame_id}/draws", sup,
                json={"sample_size": 12, "replicates": 2, "seed": 7,
                      "target_per_stratum": 5})
    assert made.status_code == 200, made.text
    report = DrawReport.model_validate(made.json())
    assert (report.seed, report.sampled, report.excluded) == (7, 12, {"no_valid_phone": 1})
    assert {s.key: s.allocated for s in report.strata} == {"CID|Thimphu": 8, "MIMO|Paro": 4}

    assert call("POST", f"/v1/draws/{report.draw_id}/release", ana, json={}).status_code == 403
    released = call("POST", f"/v1/draws/{report.draw_id}/release", sup, json={})
    assert released.status_code == 200, released.text
    first = ReleaseResult.model_validate(released.json())
    assert (first.replicate, first.cases_released, first.strata_skipped) == (1, 6, [])
    again = call("POST", f"/v1/draws/{report.draw_id}/release", sup, json={"replicate": 1})
    assert again.status_code == 409 and "already released" in again.json()["detail"]

    read = DrawReport.model_validate(call("GET", f"/v1/draws/{report.draw_id}", ana).json())
    assert (read.released, read.replicates_released, read.completes) == (6, 1, 0)
    listed = call("GET", "/v1/draws", ana, params={"frame_id": result.frame_id}).json()
    assert [d["draw_id"] for d in listed] == [report.draw_id]
    assert call("GET", "/v1/draws/999", ana).status_code == 404

    claim = call("POST", "/v1/queue/claim", enum, json=claim_body(30, "dev-enum1"))
    assert claim.status_code == 200, claim.text
    assert len(claim.json()["cases"]) == 6
