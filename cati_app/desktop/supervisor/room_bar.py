"""The bar above the supervisor's tabs: who is online (their last sync) and what waits for the
supervisor, each count a button that opens its tab. Refreshed with the dashboard's timer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from cati_app.desktop.display import language_name
from cati_app.desktop.supervisor.list_loader import ListLoader
from cati_app.desktop.theme import WARNING_COLOUR
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import SupervisorApi
    from cati_app.core.protocol_supervision import (
        EnumeratorPresence,
        LanguageBacklog,
        RoomStatus,
    )

translate = QCoreApplication.translate

#: a desktop syncs every 5 minutes by default: three missed syncs and it counts as offline
ONLINE_WITHIN = timedelta(minutes=15)
TABS = ("conflicts", "review", "released", "quarantine")


def ago(seen: datetime | None, now: datetime) -> str:
    if seen is None:
        return translate("RoomBar", "never")
    minutes = max(0, int((now - seen).total_seconds() // 60))
    if minutes < 60:
        return translate("RoomBar", "{n} min ago").format(n=minutes)
    if minutes < 48 * 60:
        return translate("RoomBar", "{n} h ago").format(n=minutes // 60)
    return translate("RoomBar", "{n} days ago").format(n=minutes // (24 * 60))


def is_online(person: EnumeratorPresence, now: datetime) -> bool:
    return person.last_seen is not None and now - person.last_seen <= ONLINE_WITHIN


class RoomBar(QWidget):
    open_tab = Signal(str)  # one of TABS

    def __init__(self, api: SupervisorApi, runner: BackgroundRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.lister: ListLoader[RoomStatus] = ListLoader(runner, self, self.show_status,
                                                         self._failed)
        self.online = QLabel("", objectName="roomOnline", wordWrap=True)
        #: issue 18: the backlog per language and who on shift speaks it
        self.languages = QLabel("", objectName="roomLanguages", wordWrap=True)
        self.buttons = {tab: QPushButton(self) for tab in TABS}
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        layout = QHBoxLayout()
        rows.addLayout(layout)
        rows.addWidget(self.languages)
        self.languages.setContentsMargins(6, 0, 6, 2)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.online, 1)
        for tab, button in self.buttons.items():
            button.setFlat(True)
            button.clicked.connect(lambda _checked=False, tab=tab: self.open_tab.emit(tab))
            layout.addWidget(button)
        self._show_counts(0, 0, 0, 0)

    def refresh(self, *, automatic: bool = False) -> None:
        self.lister.load(self.api.room, automatic=automatic)

    def show_status(self, status: RoomStatus) -> None:
        people = status.enumerators
        online = [p for p in people if is_online(p, status.at)]
        offline = [p for p in people if not is_online(p, status.at)]
        text = self.tr("<b>Online {n} of {total}</b>").format(n=len(online), total=len(people))
        if online:
            text += ": " + ", ".join(f"{p.full_name} ({ago(p.last_seen, status.at)})"
                                     for p in online)
        if offline:
            text += " · " + self.tr("offline: {who}").format(who=", ".join(
                f"{p.full_name} ({ago(p.last_seen, status.at)})" for p in offline))
        self.online.setText(text)
        self._show_counts(status.open_conflicts, status.waiting_review,
                          status.released_waiting, status.quarantined_open)
        self.languages.setText(language_line(status))

    def _show_counts(self, conflicts: int, review: int, released: int, quarantined: int) -> None:
        texts = {"conflicts": self.tr("{n} conflicts"), "review": self.tr("{n} to review"),
                 "released": self.tr("{n} released"), "quarantine": self.tr("{n} quarantined")}
        for tab, n in zip(TABS, (conflicts, review, released, quarantined), strict=True):
            button = self.buttons[tab]
            button.setText(texts[tab].format(n=n))
            font = button.font()
            font.setBold(n > 0)  # what waits stands out; nothing waiting stays quiet
            button.setFont(font)

    def _failed(self, error: BaseException) -> None:
        self.online.setText(f"⚠ {error}")


def language_line(status: RoomStatus) -> str:
    """"Queued by language: Dzongkha 12 (3 on shift) · Lhotshamkha (Nepali) 40 (none on shift)
    · … · soft refusals for conversion 7 (converters on shift: 1)"; a language whose cases
    wait with nobody on shift who speaks it is marked (where cases pile up)."""
    parts = [_language_part(row) for row in status.languages
             if row.queued or row.language != "any"]
    text = translate("RoomBar", "<b>Queued by language</b> (on shift who speak it): ") + \
        " · ".join(parts)
    text += " · " + translate("RoomBar", "soft refusals for conversion {n} (converters on "
                              "shift: {c})").format(n=status.conversions_waiting,
                                                    c=status.converters_on_shift)
    return text


def _language_part(row: LanguageBacklog) -> str:
    part = translate("RoomBar", "{language} {n} ({on})").format(
        language=language_name(row.language), n=row.queued, on=row.on_shift)
    if row.queued and not row.on_shift:
        part = (f"<span style='color: {WARNING_COLOUR}; font-weight: bold;'>⚠ {part} "
                + translate("RoomBar", "nobody on shift speaks it") + "</span>")
    return part

