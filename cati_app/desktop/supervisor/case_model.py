"""The case browser's table: one page of cases from the server, and where that page is.

The server filters, counts and pages (100,000 cases stay quick); the model only ever holds the
rows of the page on screen, so it costs the same at 100 cases or 100,000.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject

from cati_app.desktop.display import outcome_label, thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.table_model import Column, RowTableModel, number

if TYPE_CHECKING:
    from cati_app.core.protocol_supervision import CasePage, CaseRow

PAGE_SIZE = 200
translate = QCoreApplication.translate
# source text, translated where shown (state_label)
STATE_LABELS = {"queued": QT_TRANSLATE_NOOP("CaseState", "In the pool"),
                "held": QT_TRANSLATE_NOOP("CaseState", "Held"),
                "needs_supervisor": QT_TRANSLATE_NOOP("CaseState", "Needs supervisor"),
                "closed": QT_TRANSLATE_NOOP("CaseState", "Closed")}


# what the server flags on a case for a supervisor to look at (CaseRow.flags)
FLAG_LABELS = {"stale_attempts": QT_TRANSLATE_NOOP("CaseFlag", "calls by a former holder"),
               "stale_hard_appointment": QT_TRANSLATE_NOOP(
                   "CaseFlag", "former holder's hard appointment"),
               "stale_appointment": QT_TRANSLATE_NOOP("CaseFlag",
                                                      "former holder's appointment"),
               "mass_claim": QT_TRANSLATE_NOOP("CaseFlag", "mass claim")}


def flags_label(flags: list[str]) -> str:
    return ", ".join(translate("CaseFlag", FLAG_LABELS[f]) if f in FLAG_LABELS else f
                     for f in flags)


def state_label(state: str) -> str:
    """A case state in words, in the interface's language (an unknown state as it is)."""
    return translate("CaseState", STATE_LABELS[state]) if state in STATE_LABELS else state


@dataclass(frozen=True)
class Paging:
    limit: int = PAGE_SIZE
    offset: int = 0
    total: int = 0

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.total

    def previous(self) -> Paging:
        return replace(self, offset=max(0, self.offset - self.limit))

    def next(self) -> Paging:
        return replace(self, offset=self.offset + self.limit) if self.has_next else self

    def first(self) -> Paging:
        return replace(self, offset=0)

    def describe(self, shown: int) -> str:
        if not self.total:
            return translate("Paging", "No cases match")
        first = self.offset + 1 if shown else self.offset
        page = self.offset // self.limit + 1
        pages = -(-self.total // self.limit)
        return translate("Paging", "Cases {first}–{last} of {total} (page {page} of {pages})"
                         ).format(first=f"{first:,}", last=f"{self.offset + shown:,}",
                                  total=f"{self.total:,}", page=f"{page:,}",
                                  pages=f"{pages:,}")


def _next_call(row: CaseRow) -> str:
    if row.appointment_at:
        return translate("Column", "appt. {time}").format(
            time=thimphu_time(row.appointment_at))
    return thimphu_time(row.next_call_at)


CASE_COLUMNS: list[Column[CaseRow]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Case"), lambda r: r.case_id, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Service"), lambda r: r.service_code),
    Column(QT_TRANSLATE_NOOP("Column", "Respondent"), lambda r: r.respondent_name),
    Column(QT_TRANSLATE_NOOP("Column", "Dzongkhag"), lambda r: r.dzongkhag),
    Column(QT_TRANSLATE_NOOP("Column", "State"), lambda r: state_label(r.state)),
    Column(QT_TRANSLATE_NOOP("Column", "Holder"), lambda r: r.holder or ""),
    Column(QT_TRANSLATE_NOOP("Column", "Priority"), lambda r: r.priority, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Attempts"), lambda r: r.attempts, number,
           numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Disposition"),
           lambda r: (f"{outcome_label(r.disposition)} ({r.disposition_code})"
                      if r.disposition else "")),
    Column(QT_TRANSLATE_NOOP("Column", "Next call (BTT)"), _next_call),
    Column(QT_TRANSLATE_NOOP("Column", "Batch"),
           lambda r: r.batch_id if r.batch_id is not None else "", str),
    Column(QT_TRANSLATE_NOOP("Column", "Flags"), lambda r: flags_label(r.flags)),
]


class CasePageModel(RowTableModel["CaseRow"]):
    def __init__(self, parent: QObject | None = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(CASE_COLUMNS, parent)
        self.paging = Paging(limit=page_size)

    def set_page(self, page: CasePage) -> None:
        self.paging = Paging(limit=page.limit, offset=page.offset, total=page.total)
        self.set_rows(page.cases)

    def describe(self) -> str:
        return self.paging.describe(self.rowCount())
