"""Dialling: a ``tel:`` link by default, or a configured softphone command; and a call timer.

The dialer is passed into the workspace, so tests hand it a recording fake (no phone line
can run in a test).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QProcess, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from cati_app.core.phones import format_for_reading

# lupdate finds translate("Context", "text") calls by this name
translate = QCoreApplication.translate

class DialError(RuntimeError):
    """The number could not be handed to a phone; the message says what to fix."""


class NoPhoneProgram(DialError):
    """Nothing on this computer takes ``tel:`` links: the enumerator dials by hand instead."""


class Dialer(Protocol):
    def dial(self, e164: str) -> None: ...


class SystemDialer:
    """``tel:`` via the desktop (Windows hands it to the registered phone app), or
    ``command_template`` such as ``softphone --call {number}`` run with QProcess."""

    def __init__(self, command_template: str = "") -> None:
        self.command_template = command_template.strip()

    def dial(self, e164: str) -> None:
        if not self.command_template:
            if not QDesktopServices.openUrl(QUrl(f"tel:{e164}")):
                raise NoPhoneProgram(translate(
                    "SystemDialer", "no program on this computer handles tel: links; set a "
                    "dial command in the settings (e.g. softphone --call {number})"))
            return
        program, *arguments = command_for(self.command_template, e164)
        if not QProcess.startDetached(program, arguments):
            raise DialError(translate(
                "SystemDialer", "could not start the dial command {program}; check the dial "
                "command in the settings").format(program=repr(program)))


def command_for(template: str, e164: str) -> list[str]:
    """The argument list of a dial command; the number is never passed through a shell."""
    if "{number}" not in template:
        raise DialError(translate(
            "SystemDialer", "the dial command must contain {number}, e.g. softphone --call "
            "{number}"))
    try:
        words = shlex.split(template)
    except ValueError as error:  # an unclosed quote
        raise DialError(translate(
            "SystemDialer", "the dial command cannot be read ({error}): check its quotes")
            .format(error=error)) from None
    if not words:
        raise DialError(translate("SystemDialer", "the dial command is empty"))
    return [word.replace("{number}", e164) for word in words]


class CallTimer(QLabel):
    """Shows how long the current call has lasted, from an explicit clock."""

    def __init__(self, now: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._now = now
        self._started: datetime | None = None
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.refresh)
        self.setObjectName("callTimer")
        self.hide()

    @property
    def started_at(self) -> datetime | None:
        return self._started

    def start(self) -> None:
        self._started = self._now()
        self._tick.start()
        self.refresh()
        self.show()

    def stop(self) -> None:
        self._tick.stop()
        self._started = None
        self.hide()

    def refresh(self) -> None:
        if self._started is None:
            return
        seconds = max(0, int((self._now() - self._started).total_seconds()))
        self.setText(self.tr("On call {minutes:02d}:{seconds:02d}").format(
            minutes=seconds // 60, seconds=seconds % 60))


class ManualDialDialog(QDialog):
    """The number, large, for a phone dialled by hand; "Dialled by hand" starts the call timer.

    Shown when no program handles ``tel:`` links, so a computer without a softphone is still a
    working desk (the enumerator reads the number off the screen onto a desk or mobile phone).
    """

    def __init__(self, e164: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Dial this number by hand"))
        number = QLabel(format_for_reading(e164), objectName="manualDialNumber")
        number.setTextInteractionFlags(number.textInteractionFlags()
                                       | Qt.TextInteractionFlag.TextSelectableByMouse)
        big = number.font()
        big.setPointSizeF(max(big.pointSizeF(), 9.0) * 2.5)
        big.setBold(True)
        number.setFont(big)
        why = QLabel(self.tr("No phone program on this computer takes the call. Dial the number "
                             "on your phone, then press Enter: the call timer starts. (A dial "
                             "command can be set in Tools ▸ Settings.)"), wordWrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.dialled = buttons.addButton(self.tr("Dialled by hand (Enter)"),
                                         QDialogButtonBox.ButtonRole.AcceptRole)
        self.dialled.setDefault(True)
        # Enter presses "Dialled by hand" wherever the focus is: Cancel never takes it
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAutoDefault(False)
        self.dialled.setFocus()
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(number)
        layout.addWidget(why)
        layout.addWidget(buttons)
