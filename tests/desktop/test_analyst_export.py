"""The analyst's export page against the real server: the workbook downloads with a progress
bar from Content-Length, is saved whole, and opens on request."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from cati_app.desktop.shared.export_page import Download, ExportPage, plan_downloads
from cati_app.desktop.worker import BackgroundRunner
from tests.desktop.supervision_server import Server
from tests.support.factories import seed_cid_service

TODAY = date(2026, 6, 2)



def open_page(qtbot, server: Server, target: Path, opened: list) -> ExportPage:
    page = ExportPage(server.api("ana"), BackgroundRunner(), lambda: TODAY,
                      choose_save=lambda *_: str(target), open_url=opened.append)
    qtbot.addWidget(page)
    page.set_services([("CID", "Service CID"), ("MIMO", "Move-in/Move-out")])
    page.show()
    return page


def test_summary_workbook_downloads_with_progress_and_opens(qtbot, server: Server,
                                                           tmp_path: Path) -> None:
    seed_cid_service(server.ctx, "MIMO", "Move-in/Move-out")
    opened: list = []
    page = open_page(qtbot, server, tmp_path / "june", opened)
    seen: list[tuple[int, int, object]] = []
    page.progressed.connect(lambda n, done, total: seen.append((n, done, total)))
    assert not page.open_button.isEnabled()
    page.download("summary")
    assert page.busy and page.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not page.busy, timeout=30_000)
    saved = tmp_path / "june.xlsx"  # the suffix is added when the name lacks it
    assert page.saved == [saved], page.status.text()
    assert not (tmp_path / "june.xlsx.part").exists()
    size = saved.stat().st_size
    assert seen and seen[-1] == (0, size, size)  # the total came from Content-Length
    assert page.progress.value() == page.progress.maximum()
    assert "Summary" in load_workbook(saved, read_only=True).sheetnames
    page.open_button.click()
    assert [url.toLocalFile() for url in opened] == [str(saved)]


def test_raw_csv_of_one_service(qtbot, server: Server, tmp_path: Path) -> None:
    page = open_page(qtbot, server, tmp_path / "raw.csv", [])
    page.tick(["CID"])
    page.download("raw")
    qtbot.waitUntil(lambda: not page.busy, timeout=30_000)
    assert page.saved == [tmp_path / "raw.csv"], page.status.text()
    assert page.saved[0].read_text(encoding="utf-8-sig").strip()


def test_dates_in_the_wrong_order_are_caught_before_asking_the_server(
        qtbot, server: Server, tmp_path: Path) -> None:
    page = open_page(qtbot, server, tmp_path / "x.xlsx", [])
    page.use_from.setChecked(True)
    page.use_to.setChecked(True)
    page.date_from.setDate(page.date_to.date().addDays(3))
    assert page.download("summary") == []
    assert "swap them" in page.status.text()


def test_an_unknown_service_fails_with_the_servers_reason(qtbot, server: Server,
                                                          tmp_path: Path) -> None:
    page = open_page(qtbot, server, tmp_path / "x.xlsx", [])
    page.tick(["MIMO"])  # listed here but never added on this server
    page.download("summary")
    qtbot.waitUntil(lambda: not page.busy, timeout=30_000)
    assert page.status.text().startswith("⚠ Not saved:")
    assert "MIMO" in page.status.text()
    assert not (tmp_path / "x.xlsx").exists()


def test_several_services_are_one_request_and_one_file() -> None:
    chosen = Path("/out/summary.xlsx")
    every = ["CID", "MIMO", "PASS"]
    assert plan_downloads(chosen, [], every) == [Download((), chosen)]
    assert plan_downloads(chosen, every, every) == [Download((), chosen)]
    assert plan_downloads(chosen, ["MIMO"], every) == [Download(("MIMO",), chosen)]
    assert plan_downloads(chosen, ["CID", "PASS"], every) == [Download(("CID", "PASS"), chosen)]


def test_two_ticked_services_come_in_one_workbook(qtbot, server: Server,
                                                  tmp_path: Path) -> None:
    seed_cid_service(server.ctx, "MIMO", "Move-in/Move-out")
    seed_cid_service(server.ctx, "PASS", "Passport")
    page = open_page(qtbot, server, tmp_path / "two.xlsx", [])
    page.set_services([("CID", "Service CID"), ("MIMO", "Move-in/Move-out"),
                       ("PASS", "Passport")])
    page.tick(["CID", "MIMO"])
    page.download("summary")
    qtbot.waitUntil(lambda: not page.busy, timeout=30_000)
    assert page.saved == [tmp_path / "two.xlsx"], page.status.text()
    rates = load_workbook(page.saved[0], read_only=True)["Response rates"]
    labels = [row[0] for row in rates.iter_rows(min_row=2, max_row=4, values_only=True)]
    assert labels == ["CID", "MIMO", "All selected"]  # PASS was not asked for
