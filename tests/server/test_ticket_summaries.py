"""The scorecards' complaint figures (issue 16): count, resolved, share resolved and median
days to resolve per (service, office), checked against a calculation made here by hand."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from cati_app.core.protocol_scorecard import ComplaintSummary
from cati_app.server.db import transaction
from cati_app.server.models import Ticket
from cati_app.server.services.complaints.summaries import complaint_summaries
from tests.support.factories import seed_service

START, END = date(2026, 10, 1), date(2026, 10, 31)


def _median(values: list[float]) -> float:
    ordered, middle = sorted(values), len(values) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _seed(ctx) -> list[dict]:
    """Tickets over two agencies, three offices, inside and outside October, some resolved."""
    services = {"CID": seed_service(ctx, "CID", agency="DCRC"),
                "MIMO": seed_service(ctx, "MIMO", agency="DCRC"),
                "TAX": seed_service(ctx, "TAX", agency="DRC")}
    rng = random.Random(16)
    made = []
    with transaction(ctx.sessions) as session:
        for _ in range(80):
            code = rng.choice(list(services))
            reported = date(2026, 9, 25) + timedelta(days=rng.randrange(45))
            opened = datetime(reported.year, reported.month, reported.day, 4, tzinfo=ctx.clock
                              .now().tzinfo) + timedelta(minutes=rng.randrange(600))
            state = rng.choice(["open", "acknowledged", "resolved", "resolved"])
            resolved = (opened + timedelta(hours=rng.randrange(1, 400))
                        if state == "resolved" else None)
            row = dict(code=code, office=rng.choice(["Thimphu", "Paro", "Gasa"]),
                       reported=reported, state=state, opened=opened, resolved=resolved)
            made.append(row)
            session.add(Ticket(
                channel="cati", service_id=services[code], office=row["office"], dzongkhag="",
                reported_on=reported, text="slow", category="delay", state=state, note="",
                consent_to_follow_up=False, follow_up_comment="", created_at=opened,
                updated_at=opened, resolved_at=resolved))
    return made


def _expected(made: list[dict], agency_codes: set[str]) -> dict[tuple[str, str], ComplaintSummary]:
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in made:
        if row["code"] in agency_codes and START <= row["reported"] <= END:
            groups.setdefault((row["code"], row["office"]), []).append(row)
            groups.setdefault((row["code"], ""), []).append(row)
    expected = {}
    for key, rows in groups.items():
        days = [(r["resolved"] - r["opened"]).total_seconds() / 86400 for r in rows
                if r["state"] == "resolved"]
        expected[key] = ComplaintSummary(
            count=len(rows), resolved=len(days), share_resolved=len(days) / len(rows),
            median_days_to_resolve=_median(days) if days else None)
    return expected


def test_summaries_match_a_hand_calculation(ctx) -> None:
    made = _seed(ctx)
    with ctx.sessions() as session:
        every = complaint_summaries(session, agency=None, period_start=START, period_end=END)
        dcrc = complaint_summaries(session, agency="DCRC", period_start=START, period_end=END)
    expected = _expected(made, {"CID", "MIMO", "TAX"})
    assert every.keys() == expected.keys()
    for key, summary in expected.items():
        got = every[key]
        assert (got.count, got.resolved) == (summary.count, summary.resolved), key
        assert got.share_resolved == summary.share_resolved
        if summary.median_days_to_resolve is None:
            assert got.median_days_to_resolve is None
        else:
            assert abs(got.median_days_to_resolve - summary.median_days_to_resolve) < 1e-9
    assert dcrc.keys() == _expected(made, {"CID", "MIMO"}).keys()
    assert all(code != "TAX" for code, _ in dcrc)


def test_a_worked_example(ctx) -> None:
    service_id = seed_service(ctx, "CID")
    at = ctx.clock.now()
    with transaction(ctx.sessions) as session:
        for hours in (24, 72, None, 36):  # resolved after 1, 3 and 1.5 days; one still open
            session.add(Ticket(
                channel="cati", service_id=service_id, office="Paro", dzongkhag="Paro",
                reported_on=START, text="x", category="other",
                state="resolved" if hours else "open", note="", consent_to_follow_up=False,
                follow_up_comment="", created_at=at,
                updated_at=at, resolved_at=at + timedelta(hours=hours) if hours else None))
    with ctx.sessions() as session:
        found = complaint_summaries(session, agency=None, period_start=START, period_end=END)
    assert found[("CID", "Paro")] == ComplaintSummary(
        count=4, resolved=3, share_resolved=0.75, median_days_to_resolve=1.5)
    assert found[("CID", "")] == found[("CID", "Paro")]
    with ctx.sessions() as session:
        assert complaint_summaries(session, agency=None, period_start=END + timedelta(days=1),
                                   period_end=END + timedelta(days=30)) == {}
