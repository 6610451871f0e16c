"""The analyst's main window: the exports page, and the progress dashboard (read only)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

from cati_app.desktop.analyst.rates_page import RatesPage
from cati_app.desktop.settings import Settings
from cati_app.desktop.shared.dashboard import DashboardData, DashboardPage, load_dashboard
from cati_app.desktop.shared.export_page import ExportPage
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi


class AnalystWindow(QMainWindow):
    def __init__(self, api: SupervisorApi, runner: BackgroundRunner, settings: Settings, *,
                 full_name: str, today: Callable[[], date],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("ServE CATI — analyst — {name}").format(name=full_name))
        self.exports = ExportPage(api, runner, today)
        self.rates = RatesPage(api, runner, today)
        self.dashboard = DashboardPage(lambda: load_dashboard(api), runner, settings)
        self.dashboard.loaded.connect(self._services_loaded)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.exports, self.tr("Exports"))
        self.tabs.addTab(self.dashboard, self.tr("Progress"))
        self.tabs.addTab(self.rates, self.tr("Response rates"))
        self.setCentralWidget(self.tabs)

    def start(self) -> None:
        self.dashboard.start()

    def refresh(self) -> None:
        self.dashboard.refresh()

    def _services_loaded(self, data: DashboardData) -> None:
        services = [(s.service_code, s.service_name) for s in data.report.services]
        self.exports.set_services(services)
        self.rates.set_services(services)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.dashboard.stop()
        super().closeEvent(event)
