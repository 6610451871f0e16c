"""The Dzongkha font shipped in resources/fonts, registered with Qt at start.

The brief asked for Jomolhari; it is packaged neither by Debian nor on PyPI, so we ship
DDC Uchen: made by the same author (Christopher Fynn) for Bhutan's Dzongkha Development
Commission, under the SIL Open Font License (licence file beside the font).
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase

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


def script_font(language: str, dzongkha_family: str | None, base: QFont) -> QFont:
    """The font for script text in ``language``: Dzongkha text in the Dzongkha font, with the
    base family as fallback for the Latin text still awaiting translation."""
    font = QFont(base)
    font.setPointSizeF(max(base.pointSizeF(), 10.0) * 1.3)
    if language == "dz" and dzongkha_family:
        font.setFamilies([dzongkha_family, base.family()])
    return font
