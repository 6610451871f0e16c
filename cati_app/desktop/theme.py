"""Light and dark themes that follow the system (issue 7 comfort), and high-DPI rounding.

Qt 6 scales by the screen's device pixel ratio on its own; the one thing left to choose is how
a fractional ratio (125 %, 150 % on Windows laptops) is rounded: PassThrough keeps it exact,
so text and the bar charts are drawn at the real resolution instead of being scaled blurry.

Colours follow ``QStyleHints.colorScheme``; the Fusion style with an explicit palette makes the
forced light or dark scheme look the same on every platform, including offscreen tests.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from cati_app.desktop.i18n import QT_TRANSLATE_NOOP

# readable on the light and on the dark background
WARNING_COLOUR = "#d64545"
# labels are translated where shown (QCoreApplication.translate("SettingsDialog", label))
THEMES = {"system": QT_TRANSLATE_NOOP("SettingsDialog", "Follow the system"),
          "light": QT_TRANSLATE_NOOP("SettingsDialog", "Light"),
          "dark": QT_TRANSLATE_NOOP("SettingsDialog", "Dark")}

_DARK = {
    QPalette.ColorRole.Window: "#202124", QPalette.ColorRole.WindowText: "#e8eaed",
    QPalette.ColorRole.Base: "#17181a", QPalette.ColorRole.AlternateBase: "#26282b",
    QPalette.ColorRole.Text: "#e8eaed", QPalette.ColorRole.Button: "#2d2f33",
    QPalette.ColorRole.ButtonText: "#e8eaed", QPalette.ColorRole.Highlight: "#3d7bd9",
    QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#2d2f33",
    QPalette.ColorRole.ToolTipText: "#e8eaed", QPalette.ColorRole.PlaceholderText: "#9aa0a6",
    QPalette.ColorRole.Link: "#8ab4f8", QPalette.ColorRole.Mid: "#3c4043",
}
_LIGHT = {
    QPalette.ColorRole.Window: "#f3f3f3", QPalette.ColorRole.WindowText: "#1f1f1f",
    QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#f2f5f9",
    QPalette.ColorRole.Text: "#1f1f1f", QPalette.ColorRole.Button: "#e9e9e9",
    QPalette.ColorRole.ButtonText: "#1f1f1f", QPalette.ColorRole.Highlight: "#2a6fd6",
    QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#ffffe1",
    QPalette.ColorRole.ToolTipText: "#1f1f1f", QPalette.ColorRole.PlaceholderText: "#6f6f6f",
    QPalette.ColorRole.Link: "#1a5fb4", QPalette.ColorRole.Mid: "#c8c8c8",
}


def set_high_dpi_policy() -> None:
    """Call before the QApplication is made."""
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)


def effective_scheme(choice: str, app: QGuiApplication | None = None) -> str:
    """'light' or 'dark': the forced choice, or what the system asks for."""
    if choice in ("light", "dark"):
        return choice
    app = app or _gui_app()
    if app is not None and app.styleHints().colorScheme() == Qt.ColorScheme.Dark:
        return "dark"
    return "light"


def palette_for(scheme: str) -> QPalette:
    palette = QPalette()
    for role, colour in (_DARK if scheme == "dark" else _LIGHT).items():
        palette.setColor(role, QColor(colour))
    disabled = QColor("#7f7f7f")
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def apply_theme(app: QApplication, choice: str) -> str:
    """Colour the whole application; returns the scheme applied ('light' or 'dark')."""
    scheme = effective_scheme(choice, app)
    app.setStyle("Fusion")
    app.setPalette(palette_for(scheme))
    app.setProperty("cati_scheme", scheme)
    return scheme


def follow_system(app: QApplication, choice: Callable[[], str]) -> None:
    """Re-apply when the system switches light/dark, while the setting says 'system'.
    ``choice`` returns the current setting."""
    def changed(_scheme: object) -> None:
        current = choice()
        if current == "system":
            apply_theme(app, current)

    app.styleHints().colorSchemeChanged.connect(changed)


def is_dark(app: QGuiApplication | None = None) -> bool:
    app = app or _gui_app()
    return app is not None and app.property("cati_scheme") == "dark"


def _gui_app() -> QGuiApplication | None:
    # instance() is typed as the base QCoreApplication; only a GUI application has schemes
    instance = QGuiApplication.instance()
    return instance if isinstance(instance, QGuiApplication) else None
