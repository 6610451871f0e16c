"""The enumerator workspace: queue and case card on one page, the script runner on another,
sync state in the status bar. Everything it needs is passed into the constructor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
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

from cati_app.client.store import StoreError
from cati_app.core.phones import format_for_reading
from cati_app.desktop.display import outcome_label, thimphu_time
from cati_app.desktop.enumerator.case_card import CaseCard
from cati_app.desktop.enumerator.controller import EnumeratorController, QuestionnaireMissing
from cati_app.desktop.enumerator.dialer import (
    CallTimer,
    Dialer,
    DialError,
    ManualDialDialog,
    NoPhoneProgram,
    SystemDialer,
)
from cati_app.desktop.enumerator.help import KeysDialog
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
                 confirm_close: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.dialer = dialer
        self.settings = settings
        self.sync = sync
        self._dz_family = dzongkha_family
        self.runner_widget: ScriptRunner | None = None
        self._call_phone_index: int | None = None
        self._reminded: tuple[int, datetime] | None = None  # the appointment the banner shows
        self._confirm_close = confirm_close
        self._close_after_sync = False
        self.setWindowTitle(self.tr("ServE CATI — {name}").format(name=controller.full_name))
        self._build_pages()
        self._build_actions()
        self._build_status_bar()
        self.reminders = ReminderWatcher(lambda: controller.reminders(self._queue_cases()),
                                         settings.get(REMINDER_CHECK_SECONDS), self)
        self.reminders.reminder.connect(self._show_reminder)
        # appointments and retries fall due while the enumerator works: no Ctrl+R needed
        self.queue_timer = QTimer(self)
        self.queue_timer.setInterval(max(1, settings.get(REMINDER_CHECK_SECONDS)) * 1000)
        self.queue_timer.timeout.connect(self._refresh_queue_when_idle)
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
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        help_menu.addAction(self._action(self.tr("&Keys…"), "F1", self.show_keys))

    def _action(self, text: str, keys: str, slot: Callable[[], object]) -> QAction:
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
        self._refresh_queue()
        self._show_case(self.queue.selected_case_id())

    def _refresh_queue(self) -> None:
        self.queue.set_cases(self.controller.queue())
        self.sync_status.set_waiting(self.controller.pending_count())
        self.sync_status.set_last_sync(self.controller.last_successful_sync())
        self._hide_handled_reminder()

    def _refresh_queue_when_idle(self) -> None:
        """The timer's refresh: only on the queue page with no dialog open, and the case card
        is redrawn only when the selection changed (a redraw would reset the chosen phone)."""
        if self.pages.currentIndex() != 0 or QApplication.activeModalWidget() is not None:
            return
        shown = self.queue.selected_case_id()
        self._refresh_queue()
        if self.queue.selected_case_id() != shown:
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
        if case.appointment is None:
            return
        self._reminded = (case.case_id, case.appointment.at)
        at = thimphu_time(case.appointment.at, with_date=False)
        self.notice.setText(self.tr("<b>Reminder:</b> appointment at {time} with {respondent} "
                                    "({service}). It is in your queue.").format(
            time=at, respondent=case.respondent_name, service=case.service_name))
        self.notice.show()

    def _hide_handled_reminder(self) -> None:
        """The banner stays while its appointment is still waiting to be called, no longer."""
        if self._reminded is None:
            return
        case_id, at = self._reminded
        row = self.queue.model.row_of(case_id)
        appointment = None if row is None else self.queue.model.case_at(row).appointment
        if appointment is None or appointment.at != at:
            self._reminded = None
            self.notice.hide()

    # --- calling and coding --------------------------------------------------------------

    def dial(self) -> None:
        case, number = self.current_case(), self.card.selected_phone()
        if case is None or number is None:
            self.statusBar().showMessage(self.tr("Choose a case with a phone number first."), 5000)
            return
        phone_index = self.card.selected_phone_index()
        try:
            self.dialer.dial(number)
        except NoPhoneProgram:
            dialog = ManualDialDialog(number, self)
            dialog.accepted.connect(lambda: self._call_started(phone_index))
            dialog.open()
            return
        except DialError as error:
            QMessageBox.warning(self, self.tr("Cannot dial"), str(error))
            return
        self._call_started(phone_index)

    def _call_started(self, phone_index: int) -> None:
        self._call_phone_index = phone_index
        self.call_timer.start()

    def _call_start(self) -> tuple[datetime, int]:
        started = self.call_timer.started_at or self.controller.now()
        phone = self._call_phone_index
        return started, self.card.selected_phone_index() if phone is None else phone

    def code_outcome(self) -> OutcomePicker | None:
        if self.runner_widget is not None and self.pages.currentWidget() is self.runner_widget:
            self.runner_widget.message.setText(self.tr(
                "An interview is open: its outcome comes from the answers. To stop here press "
                "Ctrl+E (end early), or Ctrl+Q to go back to the queue and code the call there."))
            return None
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
                appointment_kind=choice.appointment_kind, language=choice.language)
        except StoreError as error:
            self._not_saved(error, then=picker.open)  # the picker keeps the typed note
            return
        except ValueError as error:
            QMessageBox.warning(self, self.tr("Outcome not saved"), str(error))
            return
        self._end_call()
        self.statusBar().showMessage(
            self.tr("Saved: {outcome}").format(outcome=outcome_label(choice.outcome)), 5000)
        self.refresh()
        self._move_on_from(case.case_id)

    def _move_on_from(self, case_id: int) -> None:
        """After a call is coded the card shows the next due case in queue order, or none:
        never the respondent just called, so the next Ctrl+D cannot redial them by mistake."""
        self.queue.select_next_due(self.controller.now(), excluding=case_id)
        self._show_case(self.queue.selected_case_id())
        self.activateWindow()  # back from the outcome dialog, ready for the next Ctrl+D
        self.queue.table.setFocus()

    def _not_saved(self, error: StoreError, *, then: Callable[[], object] | None = None) -> None:
        """A local save failed (a full or read-only disk): say so in plain words and keep the
        window and what was typed; ``then`` reopens what the enumerator was working in."""
        box = QMessageBox(QMessageBox.Icon.Critical, self.tr("Not saved on this computer"),
                          self.tr("{error}\n\nNothing you saved before is lost, and what you "
                                  "typed is kept: once this is fixed, save again.").format(
                              error=error), QMessageBox.StandardButton.Ok, self)
        if then is not None:
            box.finished.connect(lambda _result: then())
        box.open()

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
        try:
            draft = self.controller.start_interview(case, questionnaire, language=language,
                                                    phone_index=phone)
        except StoreError as error:
            self._not_saved(error)
            return None
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
        case_id = self.queue.selected_case_id()
        self.statusBar().showMessage(
            self.tr("Interview saved: {outcome}").format(outcome=outcome_label(outcome)), 8000)
        self.back_to_queue()
        if case_id is not None:
            self._move_on_from(case_id)

    def back_to_queue(self) -> None:
        """Leave the script; an unfinished interview stays as a draft and resumes later."""
        if self.runner_widget is not None:
            if not self.runner_widget.save_typed():
                return  # the disk refused the typed text: stay, it is still on screen
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
        if self._close_after_sync:
            self._close_after_sync = False
            if outcome.ok:
                self._confirm_close = False
                self.close()
                return
            QMessageBox.warning(self, self.tr("Not sent"), self.tr(
                "Your work could not be sent ({message}). It stays saved on this computer and "
                "goes at the next sync; close the window again to leave it there.").format(
                    message=outcome.message))
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
        self.queue_timer.start()
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
        except StoreError as error:
            self._not_saved(error)
            return
        except ValueError as error:
            QMessageBox.warning(self, self.tr("Case not released"), str(error))
            return
        self.statusBar().showMessage(self.tr("Released case {case}: at the next sync it goes back "
                                             "to the pool for another enumerator and will not be "
                                             "offered to you again.").format(case=case.case_id),
                                     8000)
        self.refresh()

    def show_keys(self) -> KeysDialog:
        dialog = KeysDialog([(a.text(), a.shortcut()) for a in self.actions()], self)
        dialog.open()
        return dialog

    # --- closing ---------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt name
        """Work not yet sent to the server is safe on disk, but a laptop closed for the day
        may not come back online before the supervisor needs it: offer to send it now."""
        waiting = self.controller.pending_count() if self._confirm_close else 0
        if waiting and self.sync is not None:
            event.ignore()
            self._ask_to_send_before_closing(waiting)
            return
        if self.runner_widget is not None and not self.runner_widget.save_typed():
            event.ignore()  # what was typed could not be saved: it stays on screen
            return
        super().closeEvent(event)

    def _ask_to_send_before_closing(self, waiting: int) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Send your work first?"),
                          self.tr("{count} item(s) of your work are saved on this computer but "
                                  "not yet sent to the server. Send them now before closing?")
                          .format(count=waiting), parent=self)
        send = box.addButton(self.tr("Send, then close"), QMessageBox.ButtonRole.AcceptRole)
        close = box.addButton(self.tr("Close without sending"),
                              QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(send)

        def answered(_result: int) -> None:
            clicked = box.clickedButton()
            if clicked is send:
                self._close_after_sync = True
                self.sync_now()
            elif clicked is close:
                self._confirm_close = False
                self.close()

        box.finished.connect(answered)
        box.open()
        return box

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
