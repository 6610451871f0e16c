"""The desktop settings, each declared once with its type and default, stored in QSettings.

Widgets never call ``QSettings.value`` with a literal key: they read a ``Setting`` through a
``Settings`` object passed into their constructor, so a test can hand them a temp ini file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QSettings

T = TypeVar("T", str, int, bool)


@dataclass(frozen=True)
class Setting(Generic[T]):
    key: str
    type: type[T]
    default: T


SERVER_URL = Setting("server/url", str, "http://127.0.0.1:8000")
LAST_USERNAME = Setting("login/username", str, "")
# empty: dial by opening a tel: link; else a command such as ``softphone --call {number}``
DIAL_COMMAND = Setting("dial/command_template", str, "")
AUTO_SYNC_MINUTES = Setting("sync/auto_minutes", int, 5)
SCRIPT_LANGUAGE = Setting("script/language", str, "en")
REMINDER_CHECK_SECONDS = Setting("queue/reminder_check_seconds", int, 30)
# how many cases the sync tries to keep in the enumerator's queue
TARGET_QUEUE_SIZE = Setting("sync/target_queue_size", int, 30)
# point size of the question text in the script runner (issue 7: adjustable)
SCRIPT_FONT_SIZE = Setting("script/font_points", int, 16)
# 'system' follows the desktop's light or dark scheme; 'light' or 'dark' force one
THEME = Setting("display/theme", str, "system")
# language of the program's own text (menus, buttons): 'system' follows the desktop's
# language, 'en' or 'dz' force one. The script's language is SCRIPT_LANGUAGE, set per case.
UI_LANGUAGE = Setting("display/language", str, "system")


class Settings:
    def __init__(self, store: QSettings) -> None:
        self._store = store

    @classmethod
    def for_user(cls) -> Settings:
        return cls(QSettings("ServE", "serve-cati"))

    @classmethod
    def in_file(cls, path: str) -> Settings:
        return cls(QSettings(path, QSettings.Format.IniFormat))

    def get(self, setting: Setting[T]) -> T:
        raw = self._store.value(setting.key, setting.default)
        try:
            return _convert(raw, setting.type)
        except (TypeError, ValueError):
            # a hand-edited or older settings file must not stop the app from starting
            return setting.default

    def set(self, setting: Setting[T], value: T) -> None:
        if not isinstance(value, setting.type):
            raise TypeError(f"{setting.key} takes {setting.type.__name__}, got {value!r}")
        self._store.setValue(setting.key, value)
        self._store.sync()


def _convert(raw: Any, kind: type[T]) -> T:
    # raw: whatever QSettings.value read (typed Any by Qt); a wrong one raises, see get()
    if kind is bool and isinstance(raw, str):  # ini files hand booleans back as text
        return kind(raw.strip().lower() in ("1", "true", "yes"))
    return kind(raw)
