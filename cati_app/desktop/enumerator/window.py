"""The enumerator workspace: queue and case card on one page, the script runner on another,
sync state in the status bar. Everything it needs is passed into the constructor."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from cati_app.core.phones import format_for_reading
from cati_app.desktop.display import outcome_label, thimphu_time
from cati_app.desktop.enumerator.case_card import CaseCard
from cati_app.desktop.enumerator.controller import EnumeratorController, QuestionnaireMissing
from cati_app.desktop.enumerator.dialer import CallTimer, Dialer, DialError, SystemDialer
from cati_app.desktop.enumerator.interview_session import InterviewSession
from cati_app.desktop.enumerator.outcome_picker import OutcomePicker
from cati_app.desktop.enumerator.queue_panel import QueuePanel, ReminderWatcher
from cati_app.desktop.enumerator.script_runner import ScriptRunner
from cati_app.desktop.enumerator.settings_dialog import SettingsDialog
from cati_app.desktop.enumerator.sync_control import SyncController, SyncOutcome
from cati_app.desktop.enumerator.sync_status import SyncLogDialog, SyncStatusWidget
from cati_app.desktop.settings import (
    AUTO_SYNC_MINUTES,
    DIAL_COMMAND,
    REMINDER_CHECK_SECONDS,
    SCRIPT_FONT_SIZE,
    SCRIPT_LANGUAGE,
    TARGET_QUEUE_SIZE,
    THEME,
    Settings,
)
from cati_app.desktop.theme import apply_theme

if TYPE_CHECKING:
    from cati_app.client.store.views import LocalCase, QueueItem


class EnumeratorWindow(QMainWindow):
    def __init__(self, controller: EnumeratorController, dialer: Dialer, settings: Settings, *,
                 sync: SyncController | None = None, dzongkha_family: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.dialer = dialer
        self.settings = settings
        self.sync = sync
        self._dz_family = dzongkha_family
        self.runner_widget: ScriptRunner | None = None
        self._call_phone_index: int | None = None
        self.setWindowTitle(self.tr("ServE CATI — {name}").format(name=controller.full_name))
        self._build_pages()
        self._build_actions()
        self._build_status_bar()
        self.reminders = ReminderWatcher(lambda: controller.reminders(self._queue_cases()),
                                         settings.get(REMINDER_CHECK_SECONDS), self)
        self.reminders.reminder.connect(self._show_reminder)
        if sync is not None:
            self._connect_sync(sync)
        self.refresh()

    # --- building ----------------------------------------------------------------------------

    def _build_pages(self) -> None:
        self.queue = QueuePanel(self.controller.now)
        self.queue.case_selected.connect(self._show_case)
        self.card = CaseCard()
        self.call_timer = CallTimer(self.controller.now)
        self.interview_button = QPushButton(self.tr("Start interview (Ctrl+I)"))
        buttons = QHBoxLayout()
        for text, slot in ((self.tr("Dial (Ctrl+D)"), self.dial),
                           (self.tr("Outcome (Ctrl+O)"), self.code_outcome)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        self.interview_button.clicked.connect(self.start_interview)
        buttons.addWidget(self.interview_button)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.card, 1)
        right_layout.addLayout(buttons)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.queue)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([860, 500])
        self.notice = QLabel(objectName="reminderNotice", wordWrap=True)
        # the same dark-on-yellow in both themes: a reminder must stand out
        self.notice.setStyleSheet("background: #fff3c4; color: #1f1f1f; "
                                  "border: 1px solid #e0b000; padding: 6px;")
        self.notice.hide()
        queue_page = QWidget()
        page_layout = QVBoxLayout(queue_page)
        page_layout.addWidget(self.notice)
        page_layout.addWidget(splitter, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(queue_page)
        self.setCentralWidget(self.pages)

    def _build_actions(self) -> None:
        work = self.menuBar().addMenu(self.tr("&Work"))
        for text, keys, slot in (
            (self.tr("&Dial"), "Ctrl+D", self.dial),
            (self.tr("Code &outcome…"), "Ctrl+O", self.code_outcome),
            (self.tr("Start or resume &interview"), "Ctrl+I", self.start_interview),
            (self.tr("Re&lease case…"), "Ctrl+Shift+E", self.release_case),
            (self.tr("&Back to the queue"), "Ctrl+Q", self.back_to_queue),
            (self.tr("&Find in queue"), "Ctrl+F", self.queue.filter.setFocus),
            (self.tr("&Refresh queue"), "Ctrl+R", self.refresh),
        ):
            work.addAction(self._action(text, keys, slot))
        sync_menu = self.menuBar().addMenu(self.tr("&Sync"))
        self.sync_action = self._action(self.tr("Sync &now"), "F5", self.sync_now)
        sync_menu.addAction(self.sync_action)
        sync_menu.addAction(self._action(self.tr("Sync &log…"), "Ctrl+Shift+L", self.open_sync_log))
        tools = self.menuBar().addMenu(self.tr("&Tools"))
        tools.addAction(self._action(self.tr("&Settings…"), "Ctrl+,", self.open_settings))

    def _action(self, text: str, keys: str, slot) -> QAction:  # noqa: ANN001 - any callable
        action = QAction(text, self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_status_bar(self) -> None:
        self.sync_status = SyncStatusWidget()
        self.statusBar().addPermanentWidget(self.call_timer)
        self.statusBar().addPermanentWidget(self.sync_status)

    def _connect_sync(self, sync: SyncController) -> None:
        sync.started.connect(self.sync_status.sync_started)
        sync.progressed.connect(self.sync_status.sync_progressed)
        sync.finished.connect(self._sync_finished)

    # --- queue and case ------------------------------------------------------------------

    def _queue_cases(self) -> list[QueueItem]:
        model = self.queue.model
        return [model.case_at(row) for row in range(model.rowCount())]

    def refresh(self) -> None:
        self.queue.set_cases(self.controller.queue())
        self.sync_status.set_waiting(self.controller.pending_count())
        self.sync_status.set_last_sync(self.controller.last_successful_sync())
        self._show_case(self.queue.selected_case_id())

    def current_case(self) -> LocalCase | None:
        case_id = self.queue.selected_case_id()
        return None if case_id is None else self.controller.case(case_id)

    def _show_case(self, case_id: int | None) -> None:
        case = None if case_id is None else self.controller.case(case_id)
        self.card.show_case(case)
        has_draft = case is not None and self.controller.open_draft(case.case_id) is not None
        self.interview_button.setText(self.tr("Resume interview (Ctrl+I)") if has_draft
                                      else self.tr("Start interview (Ctrl+I)"))

    def _show_reminder(self, case: QueueItem) -> None:
        at = thimphu_time(case.appointment.at, with_date=False) if case.appointment else ""
        self.notice.setText(self.tr("<b>Reminder:</b> appointment at {time} with {respondent} "
                                    "({service}). It is in your queue.").format(
            time=at, respondent=case.respondent_name, service=case.service_name))
        self.notice.show()

    # --- calling and coding --------------------------------------------------------------

    def dial(self) -> None:
        case, number = self.current_case(), self.card.selected_phone()
        if case is None or number is None:
            self.statusBar().showMessage(self.tr("Choose a case with a phone number first."), 5000)
            return
        try:
            self.dialer.dial(number)
        except DialError as error:
            QMessageBox.warning(self, self.tr("Cannot dial"), str(error))
            return
        self._call_phone_index = self.card.selected_phone_index()
        self.call_timer.start()

    def _call_start(self) -> tuple[datetime, int]:
        started = self.call_timer.started_at or self.controller.now()
        phone = self._call_phone_index
        return started, self.card.selected_phone_index() if phone is None else phone

    def code_outcome(self) -> OutcomePicker | None:
        case = self.current_case()
        if case is None or self.pages.currentIndex() != 0:
            return None
        picker = OutcomePicker(self.controller.now(), self.controller.rules.calendar, self)
        picker.accepted.connect(lambda: self._save_outcome(case, picker))
        picker.open()
        return picker

    def _save_outcome(self, case: LocalCase, picker: OutcomePicker) -> None:
        choice = picker.choice
        assert choice is not None
        started, phone = self._call_start()
        try:
            self.controller.record_outcome(
                case.case_id, outcome=choice.outcome, phone_index=phone, started_at=started,
                note=choice.note, appointment_at=choice.appointment_at,
                appointment_kind=choice.appointment_kind)
        except ValueError as error:
            QMessageBox.warning(self, self.tr("Outcome not saved"), str(error))
            return
        self._end_call()
        self.statusBar().showMessage(
            self.tr("Saved: {outcome}").format(outcome=outcome_label(choice.outcome)), 5000)
        self.refresh()

    def _end_call(self) -> None:
        self.call_timer.stop()
        self._call_phone_index = None

    # --- interview -------------------------------------------------------------------------

    def start_interview(self) -> ScriptRunner | None:
        case = self.current_case()
        if case is None or self.pages.currentIndex() != 0:
            return None
        try:
            questionnaire = self.controller.questionnaire_for(case)
        except QuestionnaireMissing as missing:
            QMessageBox.information(self, self.tr("Questionnaire not here yet"), str(missing))
            return None
        language = case.language if case.language in questionnaire.languages \
            else self.settings.get(SCRIPT_LANGUAGE)
        _started, phone = self._call_start()
        draft = self.controller.start_interview(case, questionnaire, language=language,
                                                phone_index=phone)
        session = InterviewSession(self.controller, questionnaire, draft,
                                   self.controller.fill_context(case))
        self.runner_widget = ScriptRunner(
            session, self._dz_family, font_points=self.settings.get(SCRIPT_FONT_SIZE),
            header=self._call_header(case, phone), correction=_correction_note(case))
        self.runner_widget.finished.connect(self._interview_finished)
        self.pages.addWidget(self.runner_widget)
        self.pages.setCurrentWidget(self.runner_widget)
        self.runner_widget.setFocus()
        return self.runner_widget

    def _interview_finished(self, outcome: str) -> None:
        self._end_call()
        self.statusBar().showMessage(
            self.tr("Interview saved: {outcome}").format(outcome=outcome_label(outcome)), 8000)
        self.back_to_queue()

    def back_to_queue(self) -> None:
        """Leave the script; an unfinished interview stays as a draft and resumes later."""
        if self.runner_widget is not None:
            self.runner_widget._save_typed_text()
            self.pages.removeWidget(self.runner_widget)
            self.runner_widget.deleteLater()
            self.runner_widget = None
        self.pages.setCurrentIndex(0)
        self.refresh()
        self.queue.table.setFocus()

    # --- sync ------------------------------------------------------------------------------

    def sync_now(self) -> None:
        if self.sync is None:
            self.statusBar().showMessage(self.tr("Sync is not available in this window."), 5000)
        elif not self.sync.sync_now():
            self.statusBar().showMessage(self.tr("A sync is already running."), 3000)

    def _sync_finished(self, outcome: SyncOutcome) -> None:
        self.sync_status.sync_finished()
        self.sync_status.set_online(outcome.ok)
        done = self.tr("Synced: {message}") if outcome.ok else self.tr("Sync: {message}")
        self.statusBar().showMessage(done.format(message=outcome.message), 8000)
        if self.pages.currentIndex() == 0:
            self.refresh()
        else:  # never disturb a running interview; just update the counters
            self.sync_status.set_waiting(self.controller.pending_count())
            self.sync_status.set_last_sync(self.controller.last_successful_sync())

    def open_sync_log(self) -> SyncLogDialog:
        dialog = SyncLogDialog(self.controller.sync_log(), self)
        dialog.open()
        return dialog

    def start_background_work(self) -> None:
        self.reminders.start()
        if self.sync is not None:
            self.sync.start_automatic()

    # --- releasing and settings ----------------------------------------------------------

    def release_case(self) -> QInputDialog | None:
        """Give the case back (the supervisor reassigns it); a reason is required."""
        case = self.current_case()
        if case is None or self.pages.currentIndex() != 0:
            return None
        dialog = QInputDialog(self)
        dialog.setWindowTitle(self.tr("Release case"))
        who = case.respondent_name or self.tr("this case")
        # the server never offers a released case to the same enumerator again
        dialog.setLabelText(self.tr("Why give {who} back? Another enumerator will call "
                                    "instead (required)").format(who=who))
        dialog.textValueSelected.connect(lambda reason: self._release(case, reason))
        dialog.open()
        return dialog

    def _release(self, case: LocalCase, reason: str) -> None:
        if not reason.strip():
            self.statusBar().showMessage(self.tr("Not released: write why the case is given back. "
                                                 "It stays in your queue."), 8000)
            return
        try:
            self.controller.release_case(case.case_id, reason.strip())
        except ValueError as error:
            QMessageBox.warning(self, self.tr("Case not released"), str(error))
            return
        self.statusBar().showMessage(self.tr("Released case {case}: at the next sync it goes back "
                                             "to the pool for another enumerator and will not be "
                                             "offered to you again.").format(case=case.case_id),
                                     8000)
        self.refresh()

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self)
        dialog.font_points_previewed.connect(self._preview_font_points)
        dialog.theme_previewed.connect(self._preview_theme)
        dialog.saved.connect(self.apply_settings)
        dialog.open()
        return dialog

    def _preview_font_points(self, points: int) -> None:
        if self.runner_widget is not None:
            self.runner_widget.set_font_points(points)

    def _preview_theme(self, choice: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, choice)

    def apply_settings(self) -> None:
        """What the settings dialog saved, in effect now, without a restart."""
        if isinstance(self.dialer, SystemDialer):
            self.dialer.command_template = self.settings.get(DIAL_COMMAND)
        if self.sync is not None:
            self.sync.set_interval(self.settings.get(AUTO_SYNC_MINUTES))
            self.sync.set_target_queue_size(self.settings.get(TARGET_QUEUE_SIZE))
        self._preview_font_points(self.settings.get(SCRIPT_FONT_SIZE))
        self._preview_theme(self.settings.get(THEME))

    def _call_header(self, case: LocalCase, phone_index: int) -> str:
        number = case.phones[phone_index] if 0 <= phone_index < len(case.phones) else ""
        parts = [case.respondent_name or self.tr("(name removed)"), case.service_name or
                 case.service_code]
        if number:
            parts.append(f"☎ {format_for_reading(number)}")
        return "  ·  ".join(parts)


def _correction_note(case: LocalCase) -> str:
    if not case.correction:
        return ""
    comment = case.correction.comment
    if comment:
        return QCoreApplication.translate(
            "EnumeratorWindow", "Correction asked by the supervisor: {comment}").format(
                comment=comment)
    return QCoreApplication.translate(
        "EnumeratorWindow",
        "Returned by the supervisor for correction: check the answers and finish again.")
