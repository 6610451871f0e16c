"""The language of the program's own text: translators for the chosen language, installed
once at start, before any window is built (Qt translates when a string is set, so a change
takes effect at the next start).

The app's catalogue is ``resources/translations/serve_cati_<lang>.qm`` (compiled by
``./tasks translations`` from the ``.ts`` a translator edits); Qt's own strings (the buttons of
standard dialogs, context menus of text fields) come from ``qtbase_<lang>.qm`` when the Qt
installation has one for the language (it has none for Dzongkha today).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import (
    QCoreApplication,
    QLibraryInfo,
    QLocale,
    QTranslator,
)
from PySide6.QtGui import QFont, QFontInfo
from PySide6.QtWidgets import QApplication

from cati_app.core.resources import resource


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:
    """Mark ``source`` for translation in ``context``; it is translated where shown. Qt's own
    marker is typed to return ``object``: this one keeps the text a ``str`` for the type
    checker. ``lupdate`` finds markers by name, so it extracts these strings the same way."""
    return source


CATALOGUE = "serve_cati"
# the languages the program offers; English is the source text and needs no catalogue
LANGUAGES = {"system": QT_TRANSLATE_NOOP("SettingsDialog", "Follow the system"),
             "en": "English", "dz": "རྫོང་ཁ (Dzongkha)"}


def resolve_language(choice: str, system: QLocale | None = None) -> str:
    """'en' or 'dz' for a setting of 'system', 'en' or 'dz' (anything else: 'system')."""
    if choice in ("en", "dz"):
        return choice
    locale = system or QLocale.system()
    return "dz" if locale.language() == QLocale.Language.Dzongkha else "en"


@dataclass
class InstalledLanguage:
    language: str
    # kept referenced: Qt does not own an installed translator and it must outlive its use
    translators: list[QTranslator] = field(default_factory=list)

    @property
    def has_catalogue(self) -> bool:
        return bool(self.translators)

    def remove(self) -> None:
        for translator in self.translators:
            QCoreApplication.removeTranslator(translator)
        self.translators.clear()


def install_language(app: QCoreApplication, choice: str,
                     dzongkha_family: str | None = None) -> InstalledLanguage:
    """Install the translators for ``choice`` ('system', 'en' or 'dz') on ``app``; for
    Dzongkha, also give all text the Dzongkha font for Tibetan script."""
    language = resolve_language(choice)
    installed = InstalledLanguage(language)
    if language == "en":
        return installed
    locale = QLocale(language)
    for name, folder in ((CATALOGUE, str(resource("translations"))),
                         ("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))):
        translator = QTranslator(app)
        if translator.load(locale, name, "_", folder) and app.installTranslator(translator):
            installed.translators.append(translator)
    if language == "dz" and dzongkha_family and isinstance(app, QApplication):
        # the usual family first: its Latin glyphs read better than the Dzongkha font's for
        # strings not translated yet and for data; it has no Tibetan glyphs, so Qt takes
        # those from the next family, before any system fallback
        # (the resolved family: a generic name such as "Sans Serif" would be skipped)
        font = QFont(app.font())
        font.setFamilies([QFontInfo(app.font()).family(), dzongkha_family])
        app.setFont(font)
    return installed
