"""Services (add one; rename it, change its agency or questionnaire) and the call lists
imported for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLineEdit, QPushButton, QWidget

from cati_app.core.protocol_admin import SampleBatchOut
from cati_app.core.protocol_supervision import ServiceOut
from cati_app.desktop.admin.list_page import ListPage
from cati_app.desktop.display import thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.table_model import Column
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.admin_api import AdminApi

SERVICE_COLUMNS: list[Column[ServiceOut]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Code"), lambda s: s.code),
    Column(QT_TRANSLATE_NOOP("Column", "Name"), lambda s: s.name),
    Column(QT_TRANSLATE_NOOP("Column", "Agency"), lambda s: s.agency),
    Column(QT_TRANSLATE_NOOP("Column", "Questionnaire"), lambda s: s.questionnaire_id),
]

BATCH_COLUMNS: list[Column[SampleBatchOut]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Batch"), lambda b: b.id, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Name"), lambda b: b.name),
    Column(QT_TRANSLATE_NOOP("Column", "Service"), lambda b: b.service_code),
    Column(QT_TRANSLATE_NOOP("Column", "Imported"), lambda b: thimphu_time(b.imported_at)),
    Column(QT_TRANSLATE_NOOP("Column", "By"), lambda b: b.imported_by),
    Column(QT_TRANSLATE_NOOP("Column", "Rows imported"), lambda b: b.rows_imported,
           numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Rows rejected"), lambda b: b.rows_rejected,
           numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Cases now"), lambda b: b.cases, numeric=True),
]


def _fields(box: QGroupBox, labels: tuple[str, ...]) -> tuple[QFormLayout, list[QLineEdit]]:
    form = QFormLayout(box)
    fields = []
    for label in labels:
        field = QLineEdit()
        form.addRow(label, field)
        fields.append(field)
    return form, fields


class ServicesPage(ListPage[ServiceOut]):
    def __init__(self, api: AdminApi, runner: BackgroundRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(runner, SERVICE_COLUMNS, api.services, parent)
        self.api = api
        self.add_section(self._new_service_box())
        self.add_section(self._change_box())
        self.selection_changed()

    def row_key(self, row: ServiceOut) -> str:
        return row.code

    def _new_service_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("New service"))
        form, (self.new_code, self.new_name, self.new_agency, self.new_questionnaire) = _fields(
            box, (self.tr("&Code:"), self.tr("&Name:"), self.tr("&Agency:"),
                  self.tr("&Questionnaire:")))
        self.new_questionnaire.setPlaceholderText("set")
        self.add_button = QPushButton(self.tr("Add the ser&vice"))
        self.add_button.clicked.connect(self.add_service)
        form.addRow("", self.add_button)
        return box

    def _change_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Selected service"))
        form, (self.name, self.agency, self.questionnaire) = _fields(
            box, (self.tr("Na&me:"), self.tr("A&gency:"), self.tr("Q&uestionnaire:")))
        self.save_button = QPushButton(self.tr("&Save the changes"))
        self.save_button.clicked.connect(self.save_changes)
        form.addRow("", self.save_button)
        form.addRow("", self.refresh_button)
        return box

    def selection_changed(self) -> None:
        service = self.selected()
        for field in (self.name, self.agency, self.questionnaire, self.save_button):
            field.setEnabled(service is not None)
        if service is not None:
            self.name.setText(service.name)
            self.agency.setText(service.agency)
            self.questionnaire.setText(service.questionnaire_id)

    def add_service(self) -> None:
        code, name = self.new_code.text().strip(), self.new_name.text().strip()
        if not code or not name:
            self.status.setText(self.tr("Give the new service a code and a name."))
            return
        agency, questionnaire = self.new_agency.text(), self.new_questionnaire.text()

        def done(service: ServiceOut) -> str:
            for field in (self.new_code, self.new_name, self.new_agency,
                          self.new_questionnaire):
                field.clear()
            return self.tr("Service {code} added.").format(code=service.code)

        self.act(lambda: self.api.add_service(code, name, agency, questionnaire), done)

    def save_changes(self) -> None:
        service = self.selected()
        if service is None:
            return
        name, agency = self.name.text().strip(), self.agency.text().strip()
        questionnaire = self.questionnaire.text().strip()
        if not name or not questionnaire:
            self.status.setText(self.tr("A service needs a name and a questionnaire."))
            return
        self.act(lambda: self.api.change_service(service.code, name=name, agency=agency,
                                                 questionnaire_id=questionnaire),
                 lambda reply: self.tr("Service {code} saved.").format(code=reply.code))


class CallListsPage(ListPage[SampleBatchOut]):
    """Read-only: call lists are imported from the supervisor's room (Work → Import)."""

    def __init__(self, api: AdminApi, runner: BackgroundRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(runner, BATCH_COLUMNS, api.batches, parent)
        self.add_section(self.refresh_button)
