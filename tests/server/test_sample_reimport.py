"""Issue 10: a sample import treats as a duplicate a phone number already interviewed or
closed with a final disposition for the same service within a configurable window, not only
open cases, and says why per row. Both backends."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import Case, CaseState
from cati_app.server.services.cases.sample_import import ImportReport, import_sample
from cati_app.server.services.catalogue.catalogue import add_service


@pytest.fixture
def services(ctx: AppContext) -> None:
    with transaction(ctx.sessions) as session:
        for code in ("CID", "MOVE"):
            add_service(session, code=code, name=code, agency="DCRC", at=ctx.clock.now(),
                        by=None)


def _import(ctx: AppContext, path: Path, service: str = "CID", **kwargs) -> ImportReport:  # type: ignore[no-untyped-def]
    with transaction(ctx.sessions) as session:
        return import_sample(session, path, service_code=service, at=ctx.clock.now(),
                             **kwargs)


def _close(ctx: AppContext, phone: str, disposition: str, code: str, days_ago: float) -> int:
    """Close the case as the push path does when a final outcome arrives."""
    at = ctx.clock.now() - timedelta(days=days_ago)
    with transaction(ctx.sessions) as session:
        case = session.scalars(select(Case).where(Case.phone1 == phone)
                               .order_by(Case.id.desc())).first()
        assert case is not None
        case.state, case.disposition, case.disposition_code = CaseState.CLOSED, disposition, code
        case.closed_at = case.updated_at = at
        return case.id


def test_a_completed_respondent_reimported_is_a_duplicate(ctx, services, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("name,phone\nKarma,17123456\nPema,17654321\nSonam,77111111\n")
    _import(ctx, path)
    done = _close(ctx, "+97517123456", "complete", "1.1", days_ago=10)
    refused = _close(ctx, "+97517654321", "hard_refusal", "2.112", days_ago=89)
    report = _import(ctx, path)
    assert (report.imported, report.rejected) == (0, 3)
    reasons = {p.row: p.reason for p in report.problems}
    assert re.fullmatch(rf"duplicate: case {done} with this phone number was interviewed "
                        r"\(Complete.*\) on 2026-05-23 for this service, within the last "
                        r"90 days", reasons[2]), reasons[2]
    assert reasons[3].startswith(f"duplicate: case {refused} with this phone number was closed"
                                 " as Hard refusal")
    assert "already open" in reasons[4]
    # another service's sample is another survey: the same person may be called for it
    assert _import(ctx, path, service="MOVE").imported == 3


def test_outside_the_window_the_person_may_be_sampled_again(ctx, services, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("name,phone\nKarma,17123456\n")
    _import(ctx, path)
    _close(ctx, "+97517123456", "complete", "1.1", days_ago=91)
    assert _import(ctx, path).imported == 1
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 2


def test_the_window_is_a_setting_and_zero_means_open_cases_only(ctx, services, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("name,phone\nKarma,17123456\n")
    _import(ctx, path)
    _close(ctx, "+97517123456", "complete", "1.1", days_ago=20)
    assert _import(ctx, path, reimport_window=timedelta(days=14)).imported == 1
    _close(ctx, "+97517123456", "complete", "1.1", days_ago=1)  # (the newest case, closed)
    assert _import(ctx, path, reimport_window=timedelta(0)).imported == 1
    assert ctx.settings.reimport_window == timedelta(days=90)


def test_the_api_import_uses_the_setting(ctx, services, client, make_user, login, tmp_path):
    from cati_app.core.protocol import Role

    make_user("sup", Role.supervisor)
    sup = login("sup")
    body = b"name,phone\nKarma,17123456\n"

    def upload() -> dict:  # type: ignore[type-arg]
        r = client.post("/v1/samples/import", headers=sup, data={"service": "CID"},
                        files={"file": ("calls.csv", body, "text/csv")})
        assert r.status_code == 200, r.text
        return r.json()

    upload()
    _close(ctx, "+97517123456", "complete", "1.1", days_ago=30)
    assert "interviewed" in upload()["problems"][0]["reason"]
    ctx.settings.reimport_window_days = 7
    assert upload()["imported"] == 1
