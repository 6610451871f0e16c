"""The enumerator's queue as a table model fed QueueItem rows, and its filter proxy.

``set_cases`` updates the model in place (remove, dataChanged, insert, then a layout change to
put rows in the store's queue order) instead of resetting it, so the selection and scroll
position survive every refresh and sync (DESIGN.md §8). The model itself keeps queue order, so
the proxy only filters until the enumerator clicks a header to sort by a column: sorting
10,000 rows through a Python ``lessThan`` would cost a second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from cati_app.desktop.display import (
    QueueGroup,
    group_label,
    outcome_label,
    queue_group,
    thimphu_time,
)
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP

if TYPE_CHECKING:
    from cati_app.client.store.views import QueueItem

Index = QModelIndex | QPersistentModelIndex

# column titles, translated where shown (headerData)
COLUMNS = (QT_TRANSLATE_NOOP("QueueTableModel", "Queue"),
           QT_TRANSLATE_NOOP("QueueTableModel", "Respondent"),
           QT_TRANSLATE_NOOP("QueueTableModel", "Service"),
           QT_TRANSLATE_NOOP("QueueTableModel", "Attempts"),
           QT_TRANSLATE_NOOP("QueueTableModel", "Last outcome"),
           QT_TRANSLATE_NOOP("QueueTableModel", "Next call (BTT)"),
           QT_TRANSLATE_NOOP("QueueTableModel", "Priority"))
CASE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
RANK_ROLE = Qt.ItemDataRole.UserRole + 2
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3


def _cell_text(case: QueueItem, group: QueueGroup, column: int) -> str:
    if column == 0:
        return group_label(group)
    if column == 1:
        return case.respondent_name
    if column == 2:
        return case.service_name or case.service_code
    if column == 3:
        return str(case.attempt_count)
    if column == 4:
        return outcome_label(case.last_outcome)
    if column == 5:
        when = case.appointment.at if case.appointment else case.next_call_at
        return thimphu_time(when) if when else QCoreApplication.translate("QueueTableModel",
                                                                          "any time")
    return str(case.priority)


class QueueTableModel(QAbstractTableModel):
    def __init__(self, now: Callable[[], datetime], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._now = now
        self._cases: list[QueueItem] = []
        self._groups: list[QueueGroup] = []
        self._rank: dict[int, int] = {}  # case_id → position in the store's queue order

    # --- Qt model API ----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._cases)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(COLUMNS):
            return QCoreApplication.translate("QueueTableModel", COLUMNS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._cases):
            return None
        case = self._cases[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell_text(case, self._groups[index.row()], index.column())
        if role == CASE_ID_ROLE:
            return case.case_id
        if role == RANK_ROLE:
            return self._rank.get(case.case_id, 0)
        if role == SEARCH_ROLE:
            return f"{case.respondent_name} {case.service_name} {case.service_code} " \
                   f"{case.office} {case.dzongkhag}".casefold()
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (3, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # --- our API ---------------------------------------------------------------------------

    def case_at(self, row: int) -> QueueItem:
        return self._cases[row]

    def row_of(self, case_id: int) -> int | None:
        return next((r for r, c in enumerate(self._cases) if c.case_id == case_id), None)

    def group_counts(self) -> Counter[QueueGroup]:
        return Counter(self._groups)

    def set_cases(self, cases: Sequence[QueueItem]) -> None:
        """Make the model show ``cases`` (in the store's queue order) with the fewest changes."""
        now = self._now()
        wanted = {case.case_id: case for case in cases}
        old_rank, self._rank = self._rank, {c.case_id: rank for rank, c in enumerate(cases)}
        self._remove_rows_not_in(wanted)
        self._update_changed_rows(wanted, old_rank, now)
        present = {case.case_id for case in self._cases}
        self._append([case for case in cases if case.case_id not in present], now)
        self._put_in_queue_order()

    def _remove_rows_not_in(self, wanted: dict[int, QueueItem]) -> None:
        row = len(self._cases) - 1
        while row >= 0:  # from the bottom, one contiguous run at a time
            if self._cases[row].case_id in wanted:
                row -= 1
                continue
            last = row
            while row - 1 >= 0 and self._cases[row - 1].case_id not in wanted:
                row -= 1
            self.beginRemoveRows(QModelIndex(), row, last)
            del self._cases[row:last + 1]
            del self._groups[row:last + 1]
            self.endRemoveRows()
            row -= 1

    def _update_changed_rows(self, wanted: dict[int, QueueItem], old_rank: dict[int, int],
                             now: datetime) -> None:
        last_column = len(COLUMNS) - 1
        for row, old in enumerate(self._cases):
            new = wanted[old.case_id]
            group = queue_group(new, now)
            moved = old_rank.get(old.case_id) != self._rank[old.case_id]
            if new == old and group == self._groups[row] and not moved:
                continue
            # a moved rank alone still needs dataChanged: the proxy re-sorts on it
            self._cases[row] = new
            self._groups[row] = group
            self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))

    def _append(self, new_cases: list[QueueItem], now: datetime) -> None:
        if not new_cases:
            return
        first = len(self._cases)
        self.beginInsertRows(QModelIndex(), first, first + len(new_cases) - 1)
        self._cases.extend(new_cases)
        self._groups.extend(queue_group(case, now) for case in new_cases)
        self.endInsertRows()


    def _put_in_queue_order(self) -> None:
        rank = self._rank
        order = sorted(range(len(self._cases)), key=lambda row: rank[self._cases[row].case_id])
        if order == list(range(len(order))):
            return
        self.layoutAboutToBeChanged.emit()
        new_row_of = {old: new for new, old in enumerate(order)}
        persistent = self.persistentIndexList()
        self.changePersistentIndexList(persistent, [
            self.index(new_row_of[index.row()], index.column()) for index in persistent])
        self._cases = [self._cases[row] for row in order]
        self._groups = [self._groups[row] for row in order]
        self.layoutChanged.emit()


class QueueFilterProxy(QSortFilterProxyModel):
    """Queue order (the source model's order) until a header is clicked; the filter box
    matches respondent, service, office and dzongkhag, case-insensitively."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._needle = ""
        self.setDynamicSortFilter(True)

    def set_filter_text(self, text: str) -> None:
        self.beginFilterChange()
        self._needle = text.strip().casefold()
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._needle:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        return self._needle in (index.data(SEARCH_ROLE) or "")

    def queue_order(self) -> None:
        """Back to the store's queue order after sorting by a column."""
        self.sort(-1)

    def lessThan(self, left: Index, right: Index) -> bool:
        if left.column() in (0, 3, 6):  # queue rank, attempts, priority: numbers, not text
            role = RANK_ROLE if left.column() == 0 else Qt.ItemDataRole.DisplayRole
            return int(left.data(role) or 0) < int(right.data(role) or 0)
        return str(left.data() or "") < str(right.data() or "")
