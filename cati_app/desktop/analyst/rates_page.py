"""The analyst's response-rate report: AAPOR counts and rates side by side per service,
office, enumerator, month availed or respondent language (with each group's mean composite
score), with the overall row last, for a service and a range of
dates availed. The numbers come from the server's one rate calculation (``rates_of``)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.core.protocol_supervision import RateGroup
from cati_app.desktop.display import date_edit, language_name, python_date
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.table_model import Column, RowTableModel, number
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cati_app.client.supervisor_api import SupervisorApi
    from cati_app.core.protocol_supervision import RateBreakdown, ResponseRates

COUNTS = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")
RATES = ("RR1", "RR3", "COOP1", "REF1", "CON1")
GROUPINGS = (("service", QT_TRANSLATE_NOOP("RatesPage", "Service")),
             ("office", QT_TRANSLATE_NOOP("RatesPage", "Office")),
             ("enumerator", QT_TRANSLATE_NOOP("RatesPage", "Enumerator")),
             ("month", QT_TRANSLATE_NOOP("RatesPage", "Month availed")),
             ("language", QT_TRANSLATE_NOOP("RatesPage", "Respondent language")))


def percent(value: float | None) -> str:
    return number(None) if value is None else f"{value:.1%}"


def _count(key: str) -> Column[RateGroup]:
    return Column(key, lambda g: g.rates.counts.get(key, 0), number, numeric=True)


def _rate(name: str) -> Column[RateGroup]:
    return Column(name, lambda g: g.rates.rates.get(name), percent, numeric=True)


COLUMNS: list[Column[RateGroup]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Group"), lambda g: g.group),
    Column(QT_TRANSLATE_NOOP("Column", "Cases"), lambda g: g.rates.cases_total, number,
           numeric=True),
    *(_count(key) for key in COUNTS),
    Column("e", lambda g: g.rates.e, lambda v: number(v, 2), numeric=True,
           tooltip=QT_TRANSLATE_NOOP("Column", "share of unknown-eligibility cases estimated "
                                     "eligible")),
    *(_rate(name) for name in RATES),
    Column(QT_TRANSLATE_NOOP("Column", "Composite"), lambda g: g.composite,
           lambda v: number(v, 2), numeric=True,
           tooltip=QT_TRANSLATE_NOOP("Column", "mean SET composite (1–5) of the group's "
                                     "scored interviews")),
    Column(QT_TRANSLATE_NOOP("Column", "Scored"), lambda g: g.scored, number, numeric=True),
]


class RatesPage(QWidget):
    def __init__(self, api: SupervisorApi, runner: BackgroundRunner,
                 today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.model: RowTableModel[RateGroup] = RowTableModel(COLUMNS, self)
        self.by = QComboBox()
        for value, label in GROUPINGS:
            self.by.addItem(self.tr(label), value)
        self.service = QComboBox()
        self.service.addItem(self.tr("All services"), "")
        day = today()
        self.use_from, self.date_from = QCheckBox(self.tr("availed from")), date_edit(day)
        self.use_to, self.date_to = QCheckBox(self.tr("to")), date_edit(day)
        self.show_button = QPushButton(self.tr("Show (Enter)"))
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.load)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.status = QLabel("", objectName="ratesStatus", wordWrap=True)
        controls = QHBoxLayout()
        for widget in (QLabel(self.tr("Rates by")), self.by, QLabel(self.tr("for")),
                       self.service, self.use_from, self.date_from, self.use_to, self.date_to):
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.show_button)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    def set_services(self, services: Sequence[tuple[str, str]]) -> None:
        self.service.clear()
        self.service.addItem(self.tr("All services"), "")
        for code, name in services:
            self.service.addItem(f"{code} — {name}", code)

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.load()
            return
        super().keyPressEvent(event)

    def load(self) -> None:
        by = str(self.by.currentData())
        service = str(self.service.currentData()) or None
        start = python_date(self.date_from.date()) if self.use_from.isChecked() else None
        end = python_date(self.date_to.date()) if self.use_to.isChecked() else None
        self.status.setText(self.tr("Counting…"))
        self.runner.run(lambda: self.api.rates_by(by, service, start, end), self.show_rates,
                        lambda error: self.status.setText(f"⚠ {error}"), owner=self)

    def show_rates(self, breakdown: RateBreakdown) -> None:
        overall = RateGroup(group=self.tr("All"), rates=breakdown.overall)
        groups = breakdown.groups
        if breakdown.by == "language":  # the language's name, not its code
            groups = [g.model_copy(update={"group": language_name(g.group)}) for g in groups]
        self.model.set_rows([*groups, overall] if groups else [])
        self.table.resizeColumnsToContents()
        self.status.setText(_note(breakdown.overall))


def _note(overall: ResponseRates) -> str:
    return f"{overall.note} e is the {overall.e_method}."
