"""A table model fed plain objects, its columns declared once (header, how to show a row).

Every read-only table of the client (the supervisor and analyst workspaces, the sync log) is
one ``RowTableModel`` with its own columns; views never see a request or a reply, only the rows
handed to ``set_rows``. (The enumerator's live queue has its own model: it updates in place.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor

Row = TypeVar("Row")
Index = QModelIndex | QPersistentModelIndex
# the row object itself, for code that needs more than the shown text
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
# a value that sorts properly (numbers as numbers), for QSortFilterProxyModel
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
# the translation context of column headers and tooltips: declare them with
# ``QT_TRANSLATE_NOOP(HEADER_CONTEXT, "…")``; they are translated where shown (headerData),
# as module-level column lists are built before the language is installed
HEADER_CONTEXT = "Column"
translate = QCoreApplication.translate


@dataclass(frozen=True)
class Column(Generic[Row]):
    header: str
    value: Callable[[Row], Any]
    # how a value is shown; None shows as an empty cell
    text: Callable[[Any], str] = str
    numeric: bool = False
    tooltip: str = ""


def number(value: Any, digits: int = 0) -> str:
    if value is None:
        return translate("Column", "n/a")
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


class RowTableModel(QAbstractTableModel, Generic[Row]):
    def __init__(self, columns: Sequence[Column[Row]], parent: QObject | None = None, *,
                 foreground: Callable[[Row], QColor | None] | None = None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._rows: list[Row] = []
        # a whole row's text colour (e.g. errors in the sync log), or None for the default
        self._foreground = foreground

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Row]:
        return list(self._rows)

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    # --- Qt model API ----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return translate(HEADER_CONTEXT, self.columns[section].header)
        if role == Qt.ItemDataRole.ToolTipRole:
            tooltip = self.columns[section].tooltip
            return translate(HEADER_CONTEXT, tooltip) if tooltip else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows) \
                or not 0 <= index.column() < len(self.columns):
            return None
        row, column = self._rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = column.value(row)
            return "" if value is None and not column.numeric else column.text(value)
        if role == Qt.ItemDataRole.ForegroundRole and self._foreground is not None:
            return self._foreground(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.numeric:
            return int(RIGHT.value)
        if role == SORT_ROLE:
            value = column.value(row)
            return value if isinstance(value, int | float) else str(value or "")
        if role == ROW_ROLE:
            return row
        return None
