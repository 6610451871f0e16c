"""The Dzongkha font shipped in resources/fonts, registered with Qt at start.

The brief asked for Jomolhari; it is packaged neither by Debian nor on PyPI, so we ship
DDC Uchen: made by the same author (Christopher Fynn) for Bhutan's Dzongkha Development
Commission, under the SIL Open Font License (licence file beside the font).
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase, QFontInfo

from cati_app.core.resources import resource

DZONGKHA_FONT_FILE = "DDC_Uchen.ttf"


def register_dzongkha_font() -> str | None:
    """Register the shipped font; its family name, or None (then the system font is used)."""
    path = resource("fonts", DZONGKHA_FONT_FILE)
    if not path.is_file():
        return None
    font_id = QFontDatabase.addApplicationFont(str(path))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    return families[0] if families else None


# the question text's size unless the enumerator chose another (settings)
DEFAULT_FONT_POINTS = 16
MIN_FONT_POINTS, MAX_FONT_POINTS = 10, 36


def script_font(language: str, dzongkha_family: str | None, base: QFont,
                points: int = DEFAULT_FONT_POINTS) -> QFont:
    """The font for script text in ``language``, ``points`` big. For Dzongkha the base family
    comes first and the Dzongkha font second: Tibetan glyphs, which the base lacks, come from
    the Dzongkha font, while Latin text still awaiting translation keeps its normal glyphs
    (DDC Uchen's Latin is hard to read: colons as dots, wide spaces)."""
    font = QFont(base)
    font.setPointSizeF(float(min(max(points, MIN_FONT_POINTS), MAX_FONT_POINTS)))
    if language == "dz" and dzongkha_family:
        font.setFamilies([QFontInfo(base).family(), dzongkha_family])
    return font


def choice_font(question: QFont) -> QFont:
    """The answer list: a little smaller than the question, never small, so the choices
    read at a glance while the enumerator listens."""
    font = QFont(question)
    font.setPointSizeF(max(question.pointSizeF() * 0.85, float(MIN_FONT_POINTS)))
    return font
