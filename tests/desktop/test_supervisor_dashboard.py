"""The live dashboard against the real server: figures per service and per enumerator equal
what was seeded, charts get the same numbers, and it refreshes by itself."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from cati_app.core.questionnaire import default_questionnaire
from cati_app.core.questionnaire.scoring import score
from cati_app.core.rates import COUNT_KEYS, aapor_rates
from cati_app.desktop.settings import Settings
from cati_app.desktop.shared.dashboard import REFRESH_SECONDS, DashboardPage, load_dashboard
from cati_app.desktop.worker import BackgroundRunner
from cati_app.server.models import CaseState
from tests.desktop.enumerator_calls import EnumeratorCalls
from tests.desktop.supervision_server import WAIT_MS, Server
from tests.support.factories import (
    COMPLETE_ANSWERS,
    attempt_item,
    give,
    seed_attempt,
    seed_case,
    seed_cases,
    seed_version,
)

#: a weaker interview than COMPLETE_ANSWERS, so the mean is not one interview's score
LOWER = {**COMPLETE_ANSWERS, "acc_info": "1", "acc_reach": "2", "att_welcome": "1"}



@pytest.fixture
def seeded(server: Server) -> Server:
    ctx, enum1, enum2 = server.ctx, server.ids["enum1"], server.ids["enum2"]
    now = ctx.clock.now()
    first = seed_case(ctx, server.service_id, state=CaseState.CLOSED, disposition="complete",
                      disposition_code="1.1")
    second = seed_case(ctx, server.service_id, state=CaseState.CLOSED,
                       disposition="complete", disposition_code="1.1", phone1="+97517000001")
    held = seed_case(ctx, server.service_id, phone1="+97517000002")
    seed_case(ctx, server.service_id, phone1="+97517000003")
    seed_case(ctx, server.service_id, state=CaseState.NEEDS_SUPERVISOR, phone1="+97517000004")
    give(ctx, held, enum1)
    seed_version(ctx, first, enum1, primary=True, answers=COMPLETE_ANSWERS)
    seed_version(ctx, second, enum2, primary=True, answers=LOWER)
    for minutes in (10, 40, 150):
        seed_attempt(ctx, held, enum1, now - timedelta(minutes=minutes))
    return server


def open_page(qtbot, server: Server, tmp_path: Path, seconds: int = 60) -> DashboardPage:
    settings = Settings.in_file(str(tmp_path / "desktop.ini"))
    settings.set(REFRESH_SECONDS, seconds)
    api = server.api()
    page = DashboardPage(lambda: load_dashboard(api), BackgroundRunner(), settings)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    return page


def test_figures_per_service_and_enumerator(qtbot, qtmodeltester, seeded: Server,
                                            tmp_path: Path) -> None:
    page = open_page(qtbot, seeded, tmp_path)
    page.start()
    qtbot.waitUntil(lambda: page.data is not None, timeout=WAIT_MS)
    page.stop()
    qtmodeltester.check(page.services)
    qtmodeltester.check(page.enumerators)
    [service] = page.services.rows()
    script = default_questionnaire()
    expected = (score(script, COMPLETE_ANSWERS).composite
                + score(script, LOWER).composite) / 2
    counts = dict.fromkeys(COUNT_KEYS, 0) | {"I": 2, "UH": 3}
    assert (service.queued, service.held, service.needs_supervisor, service.closed) == (
        1, 1, 1, 2)
    assert service.completes_today == 2
    assert service.attempts_today == 3 and service.attempts_last_hour == 2
    assert service.composite == pytest.approx(expected)
    assert service.response_rate == pytest.approx(aapor_rates(counts)["RR3"])
    karma, pema = page.enumerators.rows()
    assert (karma.name, karma.held, karma.attempts_last_hour, karma.completes_today) == (
        "Karma Dorji", 1, 2, 1)
    assert karma.composite == pytest.approx(score(script, COMPLETE_ANSWERS).composite)
    assert (pema.name, pema.completes_today, pema.response_rate) == ("Pema Choden", 1, None)

    shown = [page.services.index(0, c).data() for c in range(page.services.columnCount())]
    assert shown[1:8] == ["1", "1", "1", "2", "2", "3", "2"]
    assert shown[8] == f"{aapor_rates(counts)['RR3'] * 100:.1f}%"
    assert shown[9] == f"{expected:.2f}"
    assert [b.values for b in page.state_chart.bars] == [(1, 1, 1, 2)]
    assert [(b.label, b.values) for b in page.pace_chart.bars] == [
        ("Karma Dorji", (2,)), ("Pema Choden", (0,))]
    assert not page.state_chart.grab().isNull()  # paints without error
    assert "RR3 overall" in page.status.text()
    # the trends: today is the last day shown, with what reached the server today
    assert page.daily_chart.days[-1] == page.data.report.day
    assert page.daily_chart.series["Completes"][-1] == 2
    assert page.daily_chart.series["Attempts"][-1] == 3
    [weekly] = page.weekly_chart.series.values()
    assert weekly[-1] == pytest.approx(expected)  # this week's mean composite
    assert not page.weekly_chart.grab().isNull()


def test_refreshes_by_itself_and_keeps_figures_when_the_server_fails(
        qtbot, seeded: Server, tmp_path: Path) -> None:
    page = open_page(qtbot, seeded, tmp_path, seconds=1)
    page.start()
    qtbot.waitUntil(lambda: page.data is not None, timeout=WAIT_MS)
    assert page.services.rows()[0].queued == 1
    seed_case(seeded.ctx, seeded.service_id, phone1="+97517000009")
    qtbot.waitUntil(lambda: page.services.rows()[0].queued == 2, timeout=WAIT_MS)

    def broken():  # noqa: ANN202
        raise ConnectionError("the server went away")

    page._load = broken
    qtbot.waitUntil(lambda: page.status.text().startswith("Could not refresh"),
                    timeout=WAIT_MS)
    page.stop()
    assert "showing the last figures" in page.status.text()
    assert page.services.rows()[0].queued == 2


def test_an_enumerators_queued_and_closed_cases_count_for_them(
        qtbot, server: Server, tmp_path: Path) -> None:
    """Closing or returning a case clears its holder; the row still counts it for the
    enumerator who held it last (both were always 0 before)."""
    page = open_page(qtbot, server, tmp_path)
    page.start()
    qtbot.waitUntil(lambda: page.data is not None, timeout=WAIT_MS)
    page.stop()
    seed_cases(server.ctx, server.service_id, 4)
    karma = EnumeratorCalls(server.url, "enum1")
    refused, returned, kept = karma.claim(3)
    assert karma.push([attempt_item(refused, server.ctx.clock.now(), "hard_refusal",
                                    note="never call me")])[0]["status"] == "stored"
    server.api().assign([returned["case_id"]], None, force=True, reason="rebalancing")

    qtbot.mouseClick(page.findChild(QPushButton, "dashboardRefresh"),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.enumerators.rows()[0].queued == 1, timeout=WAIT_MS)
    row = page.enumerators.rows()[0]
    assert (row.name, row.queued, row.held, row.needs_supervisor, row.closed) == (
        "Karma Dorji", 1, 1, 0, 1)
    [service] = page.services.rows()
    assert (service.queued, service.held, service.closed) == (2, 1, 1)  # one never claimed
    pema = page.enumerators.rows()[1]
    assert (pema.queued, pema.held, pema.closed) == (0, 0, 0)
    assert kept["case_id"] not in (refused["case_id"], returned["case_id"])
