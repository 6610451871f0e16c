"""Keyboard helpers: keys go to whatever has focus, as they do for a person at the desk."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from cati_app.desktop.enumerator.window import EnumeratorWindow

WAIT_MS = 3000


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
