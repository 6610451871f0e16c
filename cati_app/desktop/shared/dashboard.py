"""The live dashboard: per service and per enumerator progress, refreshing by itself.

A QTimer asks the background runner for the progress report and the response rates; the reply
becomes plain ``DashboardRow`` objects for two tables and four bar charts. A refresh never
overlaps the previous one, and a failed one keeps the last figures on screen with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QCoreApplication,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.desktop.display import thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.settings import Setting, Settings
from cati_app.desktop.shared.charts import Bar as ChartBar
from cati_app.desktop.shared.charts import BarChart, TrendChart
from cati_app.desktop.table_model import SORT_ROLE, Column, RowTableModel, number
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi
    from cati_app.core.protocol_supervision import (
        ProgressCounts,
        ProgressReport,
        ResponseRates,
        Trends,
    )

REFRESH_SECONDS = Setting("supervisor/dashboard_refresh_seconds", int, 30)
# the AAPOR rate the dashboard shows (RR3: unknown cases counted by the estimated share e)
RESPONSE_RATE = "RR3"
translate = QCoreApplication.translate


@dataclass(frozen=True)
class DashboardRow:
    name: str
    queued: int
    held: int
    needs_supervisor: int
    closed: int
    completes_today: int
    attempts_today: int
    attempts_last_hour: int
    # share 0–1; None when n/a (a zero denominator) or not measured (per enumerator)
    response_rate: float | None
    composite: float | None


@dataclass(frozen=True)
class DashboardData:
    report: ProgressReport
    # by service code; the key None is every service together
    rates: dict[str | None, ResponseRates]
    trends: Trends | None = None


def _row(name: str, counts: ProgressCounts, rate: ResponseRates | None) -> DashboardRow:
    states = counts.cases_by_state
    return DashboardRow(
        name=name, queued=states.get("queued", 0), held=states.get("held", 0),
        needs_supervisor=states.get("needs_supervisor", 0), closed=states.get("closed", 0),
        completes_today=counts.completes_today, attempts_today=counts.attempts_today,
        attempts_last_hour=counts.attempts_last_hour,
        response_rate=rate.rates.get(RESPONSE_RATE) if rate else None,
        composite=counts.composite)


def service_rows(data: DashboardData) -> list[DashboardRow]:
    return [_row(f"{s.service_code} — {s.service_name}", s, data.rates.get(s.service_code))
            for s in data.report.services]


def enumerator_rows(data: DashboardData) -> list[DashboardRow]:
    return [_row(e.full_name or e.username, e, None)
            for e in data.report.enumerators if e.active or sum(e.cases_by_state.values()) > 0]


def load_dashboard(api: SupervisorApi) -> DashboardData:
    """Runs on a worker thread: one progress report, then the rates overall and per service."""
    report = api.progress()
    rates: dict[str | None, ResponseRates] = {None: api.response_rates()}
    for service in report.services:
        rates[service.service_code] = api.response_rates(service.service_code)
    return DashboardData(report, rates, api.trends())


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def dashboard_columns(first: str) -> list[Column[DashboardRow]]:
    """``first``: the first column's header, source text of the "Column" context."""
    return [
        Column(first, lambda r: r.name),
        Column(QT_TRANSLATE_NOOP("Column", "Queued"), lambda r: r.queued, number,
               numeric=True),
        Column(QT_TRANSLATE_NOOP("Column", "Held"), lambda r: r.held, number, numeric=True),
        Column(QT_TRANSLATE_NOOP("Column", "Needs\nsupervisor"), lambda r: r.needs_supervisor,
               number, numeric=True),
        Column(QT_TRANSLATE_NOOP("Column", "Closed"), lambda r: r.closed, number,
               numeric=True),
        Column(QT_TRANSLATE_NOOP("Column", "Completes\ntoday"), lambda r: r.completes_today,
               number, numeric=True),
        Column(QT_TRANSLATE_NOOP("Column", "Attempts\ntoday"), lambda r: r.attempts_today,
               number, numeric=True),
        Column(QT_TRANSLATE_NOOP("Column", "Attempts\nlast hour"),
               lambda r: r.attempts_last_hour, number, numeric=True,
               tooltip=QT_TRANSLATE_NOOP(
                   "Column", "attempts started in the last 60 minutes: the calling pace")),
        # translated here, with the rate's name filled in (headerData finds no source text
        # for the result and shows it as it is)
        Column(translate("Column", "{rate}\nso far").format(rate=RESPONSE_RATE),
               lambda r: r.response_rate, _percent, numeric=True,
               tooltip=QT_TRANSLATE_NOOP(
                   "Column", "AAPOR rate so far; open cases count by their best outcome yet, "
                   "so it moves until fieldwork closes")),
        Column(QT_TRANSLATE_NOOP("Column", "Composite\n(1–5)"), lambda r: r.composite, _score,
               numeric=True, tooltip=QT_TRANSLATE_NOOP(
                   "Column", "mean composite score of the complete and partial interviews so "
                   "far")),
    ]


class DashboardPage(QWidget):
    # fresh figures arrived (DashboardData): the window updates its lists of people and services
    loaded = Signal(object)

    def __init__(self, load: Callable[[], DashboardData], runner: BackgroundRunner,
                 settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._load = load
        self.runner = runner
        self.loading = False
        self.data: DashboardData | None = None
        self.services = RowTableModel(
            dashboard_columns(QT_TRANSLATE_NOOP("Column", "Service")), self)
        self.enumerators = RowTableModel(
            dashboard_columns(QT_TRANSLATE_NOOP("Column", "Enumerator")), self)
        self.status = QLabel(self.tr("Loading…"), objectName="dashboardStatus")
        refresh = QPushButton(self.tr("Refresh now"), objectName="dashboardRefresh")
        refresh.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(refresh)
        self.charts = self._build_charts()
        tables = QWidget()
        tables_layout = QVBoxLayout(tables)
        tables_layout.setContentsMargins(0, 0, 0, 0)
        tables_layout.addWidget(self._table(self.services), 2)
        tables_layout.addWidget(self._table(self.enumerators), 3)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(tables)
        splitter.addWidget(self.charts)
        splitter.setSizes([320, 420])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, settings.get(REFRESH_SECONDS)) * 1000)
        self.timer.timeout.connect(self.refresh)

    def _table(self, model: RowTableModel[DashboardRow]) -> QTableView:
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        view = QTableView()
        view.setModel(proxy)
        view.setSortingEnabled(True)
        view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        view.setAlternatingRowColors(True)
        view.verticalHeader().hide()
        view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        view.horizontalHeader().setDefaultSectionSize(96)
        view.horizontalHeader().setMinimumSectionSize(60)
        return view

    def _build_charts(self) -> QWidget:
        self.state_chart = BarChart(self.tr("Cases by state, per service"),
                                    [self.tr("Queued"), self.tr("Held"),
                                     self.tr("Needs supervisor"), self.tr("Closed")])
        self.completes_chart = BarChart(self.tr("Completes today, per enumerator"),
                                        [self.tr("Completes")])
        self.pace_chart = BarChart(self.tr("Attempts in the last hour, per enumerator"),
                                   [self.tr("Attempts")])
        self.score_chart = BarChart(self.tr("Composite score so far (1–5), per service"),
                                    [self.tr("Score")], maximum=5.0)
        self.daily_chart = TrendChart(self.tr("Completes and attempts per day (4 weeks)"))
        self.weekly_chart = TrendChart(self.tr("Composite score (1–5) per service, per week"),
                                       y_range=(1.0, 5.0))
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        for index, chart in enumerate((self.state_chart, self.completes_chart,
                                       self.score_chart, self.pace_chart,
                                       self.daily_chart, self.weekly_chart)):
            grid.addWidget(chart, index // 2, index % 2)
        return box

    # --- refreshing ------------------------------------------------------------------------

    def start(self) -> None:
        self.refresh()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def refresh(self) -> None:
        if self.loading:
            return  # the previous refresh is still on its way: never stack them up
        self.loading = True
        self.runner.run(self._load, self._loaded, self._failed, owner=self)

    def _loaded(self, data: DashboardData) -> None:
        self.loading = False
        self.show_data(data)

    def _failed(self, error: BaseException) -> None:
        self.loading = False
        text = (self.tr("Could not refresh (showing the last figures): {error}") if self.data
                else self.tr("Could not refresh: {error}"))
        self.status.setText(text.format(error=error))

    def show_data(self, data: DashboardData) -> None:
        self.data = data
        services, enumerators = service_rows(data), enumerator_rows(data)
        self.services.set_rows(services)
        self.enumerators.set_rows(enumerators)
        overall = data.rates.get(None)
        rate = overall.rates.get(RESPONSE_RATE) if overall else None
        updated = thimphu_time(data.report.generated_at, with_date=False)
        self.status.setText(self.tr(
            "Today {day} · updated {time} (Thimphu) · {rate_name} overall {rate} · "
            "refreshes every {seconds} s").format(
                day=f"{data.report.day:%a %d %b %Y}", time=updated, rate_name=RESPONSE_RATE,
                rate=_percent(rate), seconds=self.timer.interval() // 1000))
        short = [(r.name.split(" — ")[0], r) for r in services]
        self.state_chart.set_data([ChartBar(name, (r.queued, r.held, r.needs_supervisor,
                                                   r.closed)) for name, r in short])
        self.score_chart.set_data([ChartBar(name, (r.composite or 0.0,), _score(r.composite))
                                   for name, r in short])
        self.completes_chart.set_data([ChartBar(r.name, (r.completes_today,))
                                       for r in enumerators])
        self.pace_chart.set_data([ChartBar(r.name, (r.attempts_last_hour,))
                                  for r in enumerators])
        if data.trends is not None:
            self._show_trends(data.trends)
        self.loaded.emit(data)

    def _show_trends(self, trends: Trends) -> None:
        days = [d.day for d in trends.days]
        self.daily_chart.set_series(days, {
            self.tr("Completes"): [float(d.completes) for d in trends.days],
            self.tr("Attempts"): [float(d.attempts) for d in trends.days]})
        self.weekly_chart.set_series(trends.weeks, {
            s.service_code: list(s.composite) for s in trends.services})
