"""The supervisor's main window: dashboard, cases, conflicts, review, sampling and exports on tabs;
sample import and review by interview id from the menu. Everything it needs is passed into
the constructor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QTabWidget, QVBoxLayout, QWidget

from cati_app.client.admin_api import AuditApi
from cati_app.desktop.settings import Settings
from cati_app.desktop.shared.audit_page import AuditTrailPage
from cati_app.desktop.shared.dashboard import DashboardData, DashboardPage, load_dashboard
from cati_app.desktop.shared.do_not_call_page import DoNotCallRegisterPage
from cati_app.desktop.shared.export_page import ExportPage
from cati_app.desktop.supervisor.attention import QuarantinePage, ReleasedPage
from cati_app.desktop.supervisor.case_browser import CaseBrowser
from cati_app.desktop.supervisor.complaints import ComplaintsPage
from cati_app.desktop.supervisor.conflicts import ConflictsPage
from cati_app.desktop.supervisor.import_dialog import SampleImportDialog
from cati_app.desktop.supervisor.questionnaire_import import QuestionnaireImportDialog
from cati_app.desktop.supervisor.review import ReviewDialog
from cati_app.desktop.supervisor.review_page import ReviewPage
from cati_app.desktop.supervisor.room_bar import RoomBar
from cati_app.desktop.supervisor.sampling_page import SamplingPage
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi


class SupervisorWindow(QMainWindow):
    def __init__(self, api: SupervisorApi, runner: BackgroundRunner, settings: Settings, *,
                 full_name: str, today: Callable[[], date],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.services: list[tuple[str, str]] = []
        self.dialog: SampleImportDialog | ReviewDialog | None = None
        self.setWindowTitle(self.tr("ServE CATI — supervisor — {name}").format(name=full_name))
        self.dashboard = DashboardPage(lambda: load_dashboard(api), runner, settings)
        self.cases = CaseBrowser(api, runner)
        self.conflicts = ConflictsPage(api, runner)
        self.review = ReviewPage(api, runner)
        self.released = ReleasedPage(api, runner, lambda: self.cases.enumerators)
        self.quarantine = QuarantinePage(api, runner)
        self.complaints = ComplaintsPage(api, runner)
        self.sampling = SamplingPage(api.sampling(), runner, today)
        self.exports = ExportPage(api, runner, today)
        self.audit = AuditTrailPage(AuditApi(api.api), runner, today)
        self.do_not_call = DoNotCallRegisterPage(api.do_not_call(), runner, can_remove=False)
        self.tabs = QTabWidget()
        for page, title in ((self.dashboard, self.tr("Dashboard")), (self.cases, self.tr("Cases")),
                            (self.conflicts, self.tr("Conflicts")),
                            (self.review, self.tr("Review")),
                            (self.released, self.tr("Released")),
                            (self.quarantine, self.tr("Quarantine")),
                            (self.complaints, self.tr("Complaints")),
                            (self.sampling, self.tr("Sampling")),
                            (self.exports, self.tr("Exports")),
                            (self.do_not_call, self.tr("Do not call")),
                            (self.audit, self.tr("Audit trail"))):
            self.tabs.addTab(page, title)
        self.room = RoomBar(api, runner)
        self.room.open_tab.connect(self._open_tab)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.room)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.titles = {page: self.tabs.tabText(self.tabs.indexOf(page)) for page in self.lists}
        self.dashboard.loaded.connect(self._lookups_loaded)
        # one clock for the whole window: the dashboard's refresh interval
        self.dashboard.timer.timeout.connect(self.refresh_lists)
        self.tabs.currentChanged.connect(lambda _index: self.refresh_lists())
        self.conflicts.counted.connect(lambda n: self._show_count(self.conflicts, n))
        self.review.counted.connect(lambda n: self._show_count(self.review, n))
        self.released.counted.connect(lambda n: self._show_count(self.released, n))
        self.quarantine.counted.connect(lambda n: self._show_count(self.quarantine, n))
        self.complaints.counted.connect(lambda n: self._show_count(self.complaints, n))
        self.cases.changed.connect(self.dashboard.refresh)
        self.released.changed.connect(self.dashboard.refresh)
        self.review.reviewed.connect(lambda _reply: self.refresh_after_review())
        # a number added can withdraw cases: the dashboard and case table show it
        self.do_not_call.changed.connect(self.dashboard.refresh)
        self.do_not_call.changed.connect(self.cases.reload)
        # a replicate released puts cases in the queue
        self.sampling.changed.connect(self.dashboard.refresh)
        self.sampling.changed.connect(self.cases.reload)
        self._build_menu()

    def _build_menu(self) -> None:
        work = self.menuBar().addMenu(self.tr("&Work"))
        for text, keys, slot in (
            (self.tr("&Import a call list…"), "Ctrl+I", self.import_sample),
            (self.tr("Import a &questionnaire (XLSForm)…"), "Ctrl+Shift+Q",
             self.import_questionnaire),
            (self.tr("&Review an interview…"), "Ctrl+Shift+R", self.review_interview),
            (self.tr("Re&fresh"), "F5", self.refresh),
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
            work.addAction(action)

    def start(self) -> None:
        """Begin the dashboard's refresh timer and load the first page of cases."""
        self.dashboard.start()
        self.cases.search()
        self.cases.load_call_lists()
        self.room.refresh()
        for page in self.lists[1:]:
            page.refresh()
        self.audit.search()
        self.do_not_call.search()
        self.sampling.refresh()

    def refresh(self) -> None:
        self.dashboard.refresh()
        self.cases.reload()
        self.cases.load_call_lists()  # an import adds one
        self.room.refresh()
        for page in self.lists[1:]:
            page.refresh()
        self.do_not_call.refresh()
        self.sampling.refresh()

    @property
    def lists(self) -> tuple[CaseBrowser, ConflictsPage, ReviewPage, ReleasedPage,
                             QuarantinePage, ComplaintsPage]:
        return (self.cases, self.conflicts, self.review, self.released, self.quarantine,
                self.complaints)

    def _open_tab(self, name: str) -> None:
        pages = {"conflicts": self.conflicts, "review": self.review,
                 "released": self.released, "quarantine": self.quarantine,
                 "complaints": self.complaints}
        self.tabs.setCurrentWidget(pages[name])

    def refresh_lists(self) -> None:
        """Every list refreshes itself, except the one a supervisor is working in (an open
        conflict, an interview being read, cases selected): nothing moves under them."""
        self.room.refresh(automatic=True)
        for page in self.lists:
            if not page.reading():
                page.refresh(automatic=True)
        # completes and automatic releases move the sample report
        self.sampling.refresh(automatic=True)

    def refresh_after_review(self) -> None:
        self.dashboard.refresh()
        self.refresh_lists()  # the count of interviews waiting drops by one

    def _show_count(self, page: CaseBrowser | ConflictsPage | ReviewPage | ReleasedPage
                    | QuarantinePage | ComplaintsPage, count: int) -> None:
        title = self.titles[page]
        self.tabs.setTabText(self.tabs.indexOf(page),
                             f"{title} ({count:,})" if count else title)

    def _lookups_loaded(self, data: DashboardData) -> None:
        self.services = [(s.service_code, s.service_name) for s in data.report.services]
        enumerators = [(e.username, e.full_name) for e in data.report.enumerators if e.active]
        self.cases.set_lookups(self.services, enumerators)
        self.exports.set_services(self.services)
        self.review.set_services(self.services)
        self.complaints.set_services(self.services)

    def import_sample(self) -> SampleImportDialog:
        dialog = SampleImportDialog(self.api, self.runner, self.services, self)
        dialog.finished.connect(lambda _code: self.refresh())
        self.dialog = dialog
        dialog.open()
        return dialog

    def import_questionnaire(self) -> QuestionnaireImportDialog:
        dialog = QuestionnaireImportDialog(self.api, self.runner, self.services, self)
        self.questionnaire_dialog = dialog
        dialog.open()
        return dialog

    def review_interview(self) -> ReviewDialog:
        dialog = ReviewDialog(self.api, self.runner, parent=self)
        self.dialog = dialog
        dialog.open()
        return dialog

    def closeEvent(self, event: QCloseEvent) -> None:
        self.dashboard.stop()
        super().closeEvent(event)
