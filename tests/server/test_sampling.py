"""Frames, draws and replicates on the database (issue 15; both backends)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from cati_app.core.protocol_sampling import DrawRequest
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.errors import Conflict, Unprocessable
from cati_app.server.models import (
    AuditEntry,
    Case,
    CaseState,
    DoNotCall,
    DrawRelease,
    DrawUnit,
    FrameRow,
)
from cati_app.server.services.cases import case_plan
from cati_app.server.services.cases.sample_readers import sheet_from_records
from cati_app.server.services.sampling import draws, frames, replicates, reports
from tests.support.factories import seed_case, seed_service
from tests.support.frames import SALT, frame_records, import_records, phone

WINDOW = timedelta(days=90)
LAYOUT = {("CID", "Thimphu"): 30, ("CID", "Paro"): 12, ("MIMO", "Thimphu"): 8}


@pytest.fixture
def services(ctx: AppContext) -> dict[str, int]:
    return {code: seed_service(ctx, code) for code in ("CID", "MIMO")}


def draw(ctx: AppContext, frame_id: int, **request: object) -> int:
    with transaction(ctx.sessions) as session:
        return draws.make_draw(session, frame_id, DrawRequest(**request), at=ctx.clock.now(),
                               by=None, window=WINDOW).id


def units(ctx: AppContext, draw_id: int) -> list[tuple[int, str, float, int]]:
    with ctx.sessions() as session:
        return [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(DrawUnit.frame_row_id, DrawUnit.stratum, DrawUnit.inclusion_probability,
                   DrawUnit.replicate).where(DrawUnit.draw_id == draw_id)
            .order_by(DrawUnit.frame_row_id))]


def test_frame_import_keeps_rows_without_a_number_and_stores_only_the_id_hash(
        ctx: AppContext, services: dict[str, int]) -> None:
    records = [
        {"service": "CID", "name": "A", "phone": "17 20 00 01", "national_id": "11505001234"},
        {"service": "CID", "name": "B", "phone": "12345", "national_id": ""},
        {"service": "XYZ", "name": "C", "phone": "17200003", "national_id": ""},
        {"service": "cid", "name": "", "phone": "17200004", "national_id": ""},
    ]
    headers = ["service", "name", "phone", "national_id"]
    with transaction(ctx.sessions) as session:
        report = frames.import_frame(session, sheet_from_records(records, headers, "f.csv"),
                                     name="June", at=ctx.clock.now(), by=None, salt=SALT)
        stored = session.execute(select(FrameRow.phone1, FrameRow.id_hash)
                                 .order_by(FrameRow.id)).all()
        dumped = session.execute(text("SELECT * FROM frame_rows")).all()
    assert (report.rows_read, report.accepted, report.rejected) == (4, 2, 2)
    reasons = {(p.row, p.column): p.reason for p in report.problems}
    assert "kept in the frame" in reasons[(3, "phone")]
    assert "unknown service code" in reasons[(4, "service")]
    assert "no name" in reasons[(5, "name")]
    assert stored[0] == ("+97517200001", frames.hash_national_id("11505 001234", SALT))
    assert stored[1] == (None, None)
    assert "11505001234" not in repr(dumped)


def test_a_frame_with_ids_needs_the_salt(ctx: AppContext, services: dict[str, int]) -> None:
    with pytest.raises(Unprocessable, match="CATI_ID_HASH_SALT"):
        import_records(ctx, [{"service": "CID", "name": "A", "phone": phone(1),
                              "national_id": "1"}], salt="")


def test_a_draw_is_reproduced_from_its_seed_and_recorded_in_the_audit_trail(
        ctx: AppContext, services: dict[str, int]) -> None:
    frame_id = import_records(ctx, frame_records(LAYOUT))
    request = DrawRequest(sample_size=20, replicates=3, seed=12345)
    samples = []
    for _ in range(2):  # the same registers: a draw rolled back and made again
        with ctx.sessions() as session:
            made = draws.make_draw(session, frame_id, request, at=ctx.clock.now(), by=None,
                                   window=WINDOW)
            samples.append(sorted(
                (u.frame_row_id, u.stratum, u.inclusion_probability, u.replicate)
                for u in session.scalars(select(DrawUnit).where(DrawUnit.draw_id == made.id))))
            session.rollback()
    assert samples[0] == samples[1] and len(samples[0]) == 20
    other = draw(ctx, frame_id, sample_size=20, replicates=3, seed=54321)
    assert sorted(u[0] for u in units(ctx, other)) != sorted(u[0] for u in samples[0])
    with ctx.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "draw.create")
                                ).one()
    assert entry.details["seed"] == 54321


def test_allocations_sum_to_the_sample_size_and_pi_is_n_over_eligible(
        ctx: AppContext, services: dict[str, int]) -> None:
    frame_id = import_records(ctx, frame_records(LAYOUT))
    for allocation in ("proportional", "equal"):
        with ctx.sessions() as session:
            made = draws.make_draw(session, frame_id, DrawRequest(
                sample_size=25, allocation=allocation, seed=7), at=ctx.clock.now(), by=None,
                window=WINDOW)
            report = reports.draw_report(session, made.id)
            session.rollback()
        assert report.sampled == 25 == sum(s.allocated for s in report.strata)
        for stratum in report.strata:
            assert stratum.inclusion_probability == pytest.approx(
                stratum.allocated / stratum.eligible)
    # equal: 25 over 3 strata → 9, 8, 8 (largest remainder; MIMO|Thimphu has 8 rows)
    assert sorted(s.allocated for s in report.strata) == [8, 8, 9]


def test_precision_allocation_uses_the_default_sd_and_sets_targets(
        ctx: AppContext, services: dict[str, int]) -> None:
    frame_id = import_records(ctx, frame_records(LAYOUT))
    draw_id = draw(ctx, frame_id, sample_size=40, allocation="precision", margin=0.5,
                   seed=3)
    with ctx.read() as session:
        report = reports.draw_report(session, draw_id)
    assert report.sampled == 40
    # n0 = (1.96 · 1.0 / 0.5)² = 15.4; with 30 rows: 15.4 / (1 + 14.4/30) = 10.4 → 11
    thimphu = next(s for s in report.strata if s.key == "CID|Thimphu")
    assert (thimphu.target, thimphu.sd, thimphu.sd_interviews) == (11, 1.0, 0)
    assert "default SD" in report.note
    with pytest.raises(Unprocessable, match="margin"):
        draw(ctx, frame_id, sample_size=5, allocation="precision")


def test_excluded_rows_are_never_sampled_and_are_counted_by_reason(
        ctx: AppContext, services: dict[str, int]) -> None:
    records = frame_records({("CID", "Thimphu"): 10})
    records[0]["phone"] = "12345"  # no valid phone
    records[1]["date_availed"] = date(2026, 3, 1)  # outside the period
    records.append(dict(records[2]))  # the same visit twice in the frame
    now = ctx.clock.now()
    with transaction(ctx.sessions) as session:
        session.add(DoNotCall(phone=phone(3), source="respondent", reason="", added_at=now))
    seed_case(ctx, services["MIMO"], phone1=phone(4))  # contacted now, another service
    seed_case(ctx, services["CID"], phone1=phone(5), date_availed=date(2026, 5, 10),
              created_at=now - timedelta(days=200))  # this visit surveyed long ago
    frame_id = import_records(ctx, records, period_start=date(2026, 5, 1),
                              period_end=date(2026, 5, 31))
    draw_id = draw(ctx, frame_id, sample_size=100, seed=1)
    with ctx.read() as session:
        report = reports.draw_report(session, draw_id)
        sampled = set(session.scalars(select(FrameRow.row_number).join(
            DrawUnit, DrawUnit.frame_row_id == FrameRow.id)))
    assert report.excluded == {"do_not_call": 1, "duplicate_visit": 2, "no_valid_phone": 1,
                               "outside_period": 1, "recently_contacted": 1}
    assert report.frame_rows == 11 and report.sampled == 5
    assert sampled == {8, 9, 10, 11, 4}  # rows are numbered from 2 (the header is row 1)
    assert report.strata[0].inclusion_probability == 1.0
    # a second draw from the same frame finds everyone sampled: they are taken
    with pytest.raises(Unprocessable, match="no row of this frame is eligible"):
        draw(ctx, frame_id, sample_size=1, seed=2)


def test_replicates_partition_the_sample_and_release_makes_weighted_cases(
        ctx: AppContext, services: dict[str, int]) -> None:
    frame_id = import_records(ctx, frame_records(LAYOUT))
    draw_id = draw(ctx, frame_id, sample_size=21, replicates=4, seed=99)
    sampled = units(ctx, draw_id)
    sizes = Counter(u[3] for u in sampled)
    assert set(sizes) == {1, 2, 3, 4} and max(sizes.values()) - min(sizes.values()) <= 1
    released = 0
    for expected in (1, 2, 3, 4):
        with transaction(ctx.sessions) as session:
            result = replicates.release(session, draw_id, at=ctx.clock.now(), by=None)
        assert (result.replicate, result.cases_released) == (expected, sizes[expected])
        released += result.cases_released
    with pytest.raises(Conflict, match="all 4 replicates"), \
            transaction(ctx.sessions) as session:
        replicates.release(session, draw_id, at=ctx.clock.now(), by=None)
    with ctx.read() as session:
        cases = session.execute(select(Case.id, Case.stratum, Case.inclusion_probability,
                                       Case.state)).all()
        linked = session.scalars(select(DrawUnit.case_id).where(DrawUnit.draw_id == draw_id))
        assert sorted(linked) == sorted(c.id for c in cases)
    assert released == len(cases) == 21
    by_unit = {u[1]: u[2] for u in sampled}
    assert all(c.inclusion_probability == by_unit[c.stratum] for c in cases)
    assert {c.state for c in cases} == {CaseState.QUEUED}


def _complete(ctx: AppContext, case_ids: list[int]) -> None:
    with transaction(ctx.sessions) as session:
        for case in session.scalars(select(Case).where(Case.id.in_(case_ids))):
            case.disposition, case.disposition_code = "complete", "1.1"
            case_plan.close(session, case, at=ctx.clock.now(), by=None, reason="complete")


def test_release_skips_strata_whose_target_is_reached(
        ctx: AppContext, services: dict[str, int]) -> None:
    frame_id = import_records(ctx, frame_records({("CID", "Thimphu"): 10,
                                                  ("CID", "Paro"): 10}))
    draw_id = draw(ctx, frame_id, sample_size=12, replicates=3, seed=5, target_per_stratum=2,
                   auto_release=False)
    with transaction(ctx.sessions) as session:
        replicates.release(session, draw_id, at=ctx.clock.now(), by=None)
        paro = list(session.scalars(select(Case.id).where(Case.stratum == "CID|Paro")))
    _complete(ctx, paro[:2])
    with transaction(ctx.sessions) as session:
        second = replicates.release(session, draw_id, at=ctx.clock.now(), by=None)
        statuses = Counter(session.scalars(select(DrawUnit.status).where(
            DrawUnit.replicate == 2, DrawUnit.stratum == "CID|Paro")))
    assert second.strata_skipped == ["CID|Paro"]
    assert set(statuses) == {"skipped_target"}
    with ctx.read() as session:
        report = reports.draw_report(session, draw_id)
    paro_line = next(s for s in report.strata if s.key == "CID|Paro")
    assert (paro_line.completes, paro_line.target_reached) == (2, True)
    assert report.replicates_released == 2 and report.completes == 2


def test_the_next_replicate_is_released_when_the_released_cases_are_worked(
        ctx: AppContext, services: dict[str, int]) -> None:
    frame_id = import_records(ctx, frame_records({("CID", "Thimphu"): 12}))
    draw_id = draw(ctx, frame_id, sample_size=6, replicates=3, seed=8)
    with transaction(ctx.sessions) as session:
        replicates.release(session, draw_id, at=ctx.clock.now(), by=None)
        first = list(session.scalars(select(Case.id)))
    _complete(ctx, first[:-1])
    with ctx.read() as session:
        assert session.scalar(select(DrawRelease.id).where(DrawRelease.replicate == 2)) is None
    with transaction(ctx.sessions) as session:  # the last one: closed by the attempt cap
        case = session.get_one(Case, first[-1])
        case_plan.close(session, case, at=ctx.clock.now(), by=None, reason="attempt cap")
    with ctx.read() as session:
        automatic = session.scalars(select(DrawRelease).where(
            DrawRelease.replicate == 2)).one()
        assert automatic.automatic and automatic.cases_released == 2
        assert session.scalar(select(Case.id).where(Case.id.not_in(first)).limit(1))


def test_a_number_put_on_the_register_after_the_draw_is_not_released(
        ctx: AppContext, services: dict[str, int]) -> None:
    frame_id = import_records(ctx, frame_records({("CID", "Thimphu"): 4}))
    draw_id = draw(ctx, frame_id, sample_size=4, replicates=1, seed=8)
    with transaction(ctx.sessions) as session:
        session.add(DoNotCall(phone=phone(2), source="sms_stop", reason="",
                              added_at=ctx.clock.now()))
    with transaction(ctx.sessions) as session:
        result = replicates.release(session, draw_id, at=ctx.clock.now(), by=None)
        phones = set(session.scalars(select(Case.phone1)))
    assert (result.cases_released, result.withdrawn_do_not_call) == (3, 1)
    assert phone(2) not in phones


def test_inclusion_probabilities_hold_over_many_draws(
        ctx: AppContext, services: dict[str, int]) -> None:
    """Simulation through the server's draw: empirical selection frequency per unit ≈ π."""
    frame_id = import_records(ctx, frame_records({("CID", "Thimphu"): 6, ("CID", "Paro"): 3}))
    runs = 150
    hits: Counter[int] = Counter()
    pi: dict[int, float] = {}
    for seed in range(runs):
        with ctx.sessions() as session:
            made = draws.make_draw(session, frame_id, DrawRequest(sample_size=4, seed=seed),
                                   at=ctx.clock.now(), by=None, window=WINDOW)
            for unit in session.scalars(select(DrawUnit).where(DrawUnit.draw_id == made.id)):
                hits[unit.frame_row_id] += 1
                pi[unit.frame_row_id] = unit.inclusion_probability
            session.rollback()
    assert len(hits) == 9  # every unit was drawn at least once
    # 4 of 9: 2.67 and 1.33 by proportion, rounded to 3 of 6 and 1 of 3
    assert sorted(set(pi.values())) == pytest.approx([1 / 3, 1 / 2])
    for unit, count in hits.items():
        p = pi[unit]
        sd = (p * (1 - p) / runs) ** 0.5
        assert abs(count / runs - p) <= 4 * sd + 1e-9, (unit, count, p)
