"""The claim's reply (on PostgreSQL built inside the one claim statement, on SQLite by
``case_views``) is the same view of a case as every other path sends (``queue_case_view``):
attempts with their enumerator, a soft appointment with its booker, the correction, the
service and questionnaire. Both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cati_app.server.context import AppContext
from cati_app.server.models import Case
from cati_app.server.services.cases.case_views import queue_case_view
from tests.support.factories import claim_body, seed_attempt, seed_case, seed_service


def test_a_claimed_case_is_sent_as_its_case_view(ctx: AppContext, client: Any,
                                                 make_user: Any, login: Any) -> None:
    karma, sonam = make_user("karma"), make_user("sonam")
    service = seed_service(ctx)
    now = ctx.clock.now()
    case_id = seed_case(ctx, service, language="dz", pool="appointment", attempt_count=2,
                        last_called_at=now - timedelta(hours=3),
                        appointment_at=now - timedelta(minutes=10), appointment_kind="soft",
                        appointment_by=sonam, next_call_at=now - timedelta(minutes=10),
                        correction={"interview_uuid": "i-1", "version_uuid": "v-1",
                                    "comment": "check q3"})
    seed_attempt(ctx, case_id, sonam, now - timedelta(hours=3))
    seed_attempt(ctx, case_id, karma, now - timedelta(days=1))
    r = client.post("/v1/queue/claim", json=claim_body(5, device_id="dev-karma"),
                    headers=login("karma"))
    assert r.status_code == 200, r.text
    [sent] = r.json()["cases"]
    with ctx.sessions() as s:
        expected = queue_case_view(s, s.get_one(Case, case_id)).model_dump(mode="json")
    assert sent == expected
    assert [a["enumerator"] for a in sent["attempts"]] == ["karma", "sonam"]  # oldest first
    assert sent["appointment"]["booked_by"] == "sonam"
    assert sent["correction"]["comment"] == "check q3"
