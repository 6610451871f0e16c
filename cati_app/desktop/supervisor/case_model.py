"""The case browser's table: one page of cases from the server, and where that page is.

The server filters, counts and pages (100,000 cases stay quick); the model only ever holds the
rows of the page on screen, so it costs the same at 100 cases or 100,000.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from cati_app.desktop.display import outcome_label, thimphu_time
from cati_app.desktop.supervisor.table_model import Column, RowTableModel, number

if TYPE_CHECKING:
    from cati_app.core.protocol_supervision import CasePage, CaseRow

PAGE_SIZE = 200
STATE_LABELS = {"queued": "In the pool", "held": "Held", "needs_supervisor": "Needs supervisor",
                "closed": "Closed"}


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
            return "No cases match"
        first = self.offset + 1 if shown else self.offset
        page = self.offset // self.limit + 1
        pages = -(-self.total // self.limit)
        return (f"Cases {first:,}–{self.offset + shown:,} of {self.total:,} "
                f"(page {page:,} of {pages:,})")


def _next_call(row: CaseRow) -> str:
    if row.appointment_at:
        return "appt. " + thimphu_time(row.appointment_at)
    return thimphu_time(row.next_call_at)


CASE_COLUMNS: list[Column[CaseRow]] = [
    Column("Case", lambda r: r.case_id, numeric=True),
    Column("Service", lambda r: r.service_code),
    Column("Respondent", lambda r: r.respondent_name),
    Column("Dzongkhag", lambda r: r.dzongkhag),
    Column("State", lambda r: STATE_LABELS.get(r.state, r.state)),
    Column("Holder", lambda r: r.holder or ""),
    Column("Priority", lambda r: r.priority, numeric=True),
    Column("Attempts", lambda r: r.attempts, number, numeric=True),
    Column("Disposition", lambda r: (f"{outcome_label(r.disposition)} ({r.disposition_code})"
                                     if r.disposition else "")),
    Column("Next call (BTT)", _next_call),
    Column("Batch", lambda r: r.batch_id if r.batch_id is not None else "", str),
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
