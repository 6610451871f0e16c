"""Desktop test helpers: the desk's user and clock, cases on the device, a dialer that records,
and keyboard helpers (keys go to whatever has focus, as they do for a person at the desk)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox, QWidget

from cati_app.core.protocol import Appointment, AttemptSummary, QueueCase
from cati_app.core.questionnaire import default_questionnaire
from cati_app.desktop.enumerator.window import EnumeratorWindow

WAIT_MS = 3000
MONDAY_10_THIMPHU = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)
USERNAME = "enum1"


class RecordingDialer:
    """Stands in for the phone: a test machine has no phone line."""

    def __init__(self) -> None:
        self.dialled: list[str] = []

    def dial(self, e164: str) -> None:
        self.dialled.append(e164)


def queue_case(case_id: int, name: str, *, priority: int = 50, phones: tuple[str, ...] = (
        "+97517123456", "+97577654321"), attempts: list[AttemptSummary] | None = None,
        next_call_at: datetime | None = None, appointment: Appointment | None = None,
        service: str = "Issuance of New CID Card", availed: date | None = date(2026, 5, 25),
        ) -> QueueCase:
    q = default_questionnaire()
    return QueueCase(
        case_id=case_id, assignment_version=1, service_code="DCRC-CID", service_name=service,
        questionnaire_id=q.id, questionnaire_version=q.version, priority=priority,
        respondent_name=name, phones=list(phones), office="Thimphu Dzongkhag Census Office",
        dzongkhag="Thimphu", date_availed=availed, language="en", attempts=attempts or [],
        next_call_at=next_call_at, appointment=appointment)


def demo_cases(now: datetime) -> list[QueueCase]:
    earlier = now - timedelta(hours=4)
    return [
        queue_case(101, "Karma Wangchuk", priority=60),
        queue_case(102, "Pema Choden", service="Move-in/Move-out (census transfer)",
                   attempts=[AttemptSummary(started_at=earlier, outcome="no_answer",
                                            aapor_code="3.13", phone_index=0,
                                            enumerator=USERNAME)],
                   next_call_at=now - timedelta(minutes=30)),
        queue_case(103, "Sonam Dorji", availed=date(2026, 5, 28)),
    ]


def focused(fallback: QWidget) -> QWidget:
    return QApplication.focusWidget() or fallback


def press(qtbot, fallback: QWidget, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(focused(fallback), key, modifier)


def type_text(qtbot, fallback: QWidget, text: str) -> None:
    qtbot.keyClicks(focused(fallback), text)


def open_window(qtbot, controller, dialer, settings, **kwargs) -> EnumeratorWindow:
    kwargs.setdefault("confirm_close", False)  # tests of closing ask for the question
    window = EnumeratorWindow(controller, dialer, settings, **kwargs)
    qtbot.addWidget(window)
    window.resize(1200, 700)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    return window


#: an answer to every rating of the default questionnaire, as keys typed at the desk
RATINGS = {"acc_info": "5", "acc_reach": "4", "time_wait": "3", "time_turnaround": "2",
           "att_welcome": "1", "att_courtesy": "dk", "int_fair": "ref", "int_payment": "4",
           "fb_channels": "5", "fb_willing": "3"}


def start_interview(qtbot, window, case_id: int):
    ctrl = Qt.KeyboardModifier.ControlModifier
    assert window.queue.select_case(case_id)
    window.queue.table.setFocus()
    press(qtbot, window, Qt.Key.Key_D, ctrl)  # dial first, as at the desk
    press(qtbot, window, Qt.Key.Key_I, ctrl)
    qtbot.waitUntil(lambda: window.runner_widget is not None, timeout=WAIT_MS)
    return window.runner_widget


def button(box: QMessageBox, text: str) -> QAbstractButton:
    """The message box's button whose text starts with ``text``."""
    return next(b for b in box.buttons() if b.text().startswith(text))
