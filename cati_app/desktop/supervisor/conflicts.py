"""Conflicts: the list, the versions side by side (answers aligned by question), resolve by
choosing the primary version and writing a resolution; review a version from here too."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cati_app.desktop.display import outcome_label, thimphu_time
from cati_app.desktop.i18n import QT_TRANSLATE_NOOP
from cati_app.desktop.supervisor.answers import presenter_for
from cati_app.desktop.supervisor.list_loader import ListLoader
from cati_app.desktop.supervisor.review import ReviewDialog
from cati_app.desktop.table_model import Column, RowTableModel
from cati_app.desktop.worker import BackgroundRunner

if TYPE_CHECKING:
    from cati_app.client.supervisor_api import Decision, SupervisorApi
    from cati_app.core.protocol_supervision import (
        ConflictDetail,
        ConflictList,
        ConflictSummary,
        VersionDetail,
    )

RESOLUTION_MAX = 1000
#: a former holder's late final outcome: confirmed or dismissed, not a choice of version
LATE_OUTCOME = "stale_final_outcome"
translate = QCoreApplication.translate
DIFFERS = "≠ "


def _versions_text(conflict: ConflictSummary) -> str:
    return " / ".join(f"{v.enumerator} ({outcome_label(v.completion)})"
                      for v in conflict.versions) or translate("ConflictsPage", "no interview")


CONFLICT_COLUMNS: list[Column[ConflictSummary]] = [
    Column(QT_TRANSLATE_NOOP("Column", "Conflict"), lambda c: c.id, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Case"), lambda c: c.case_id, numeric=True),
    Column(QT_TRANSLATE_NOOP("Column", "Kind"), lambda c: c.kind.replace("_", " ")),
    Column(QT_TRANSLATE_NOOP("Column", "Raised"), lambda c: thimphu_time(c.created_at)),
    Column(QT_TRANSLATE_NOOP("Column", "Versions"), _versions_text),
]


@dataclass(frozen=True)
class AnswerRow:
    item: str
    question: str
    values: tuple[str, ...]

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1


def aligned_answers(versions: list[VersionDetail]) -> list[AnswerRow]:
    """One row per question any version holds, in script order, each version's answer shown
    as the Review tab shows it."""
    if not versions:
        return []
    present = presenter_for(versions[0].questionnaire_id)
    return [AnswerRow(name, present.question(name),
                      tuple(present.answer(name, v.answers) for v in versions))
            for name in present.names(v.answers for v in versions)]


def version_header(index: int, version: VersionDetail) -> str:
    flags = [outcome_label(version.completion)]
    if version.primary:
        flags.append(translate("ConflictsPage", "primary"))
    if version.stale:
        flags.append(translate("ConflictsPage", "stale"))
    return translate("ConflictsPage", "{number}. {enumerator} ({flags})\nended {time}").format(
        number=index + 1, enumerator=version.enumerator, flags=", ".join(flags),
        time=thimphu_time(version.ended_at or version.received_at))


def answer_columns(versions: list[VersionDetail]) -> list[Column[AnswerRow]]:
    columns: list[Column[AnswerRow]] = [
        Column(QT_TRANSLATE_NOOP("Column", "Question"),
               lambda r: (DIFFERS if r.differs else "") + r.question)]
    for index, version in enumerate(versions):
        columns.append(Column(version_header(index, version), _value_of(index)))
    return columns


def _value_of(version_index: int) -> Callable[[AnswerRow], str]:
    return lambda row: row.values[version_index]


class ConflictsPage(QWidget):
    # how many conflicts are open, each time the open list arrives (for the tab's title)
    counted = Signal(int)

    def __init__(self, api: SupervisorApi, runner: BackgroundRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.api = api
        self.runner = runner
        self.detail: ConflictDetail | None = None
        self.lister: ListLoader[tuple[str, ConflictList]] = ListLoader(
            runner, self, self._listed, lambda error: self.list_status.setText(f"⚠ {error}"))
        self.review_dialog: ReviewDialog | None = None
        self.conflicts = RowTableModel(CONFLICT_COLUMNS, self)
        self.answers: RowTableModel[AnswerRow] = RowTableModel(answer_columns([]), self)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_list())
        splitter.addWidget(self._build_detail())
        splitter.setSizes([420, 760])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _build_list(self) -> QWidget:
        self.status_filter = QComboBox()
        self.status_filter.addItem(self.tr("Open"), "open")
        self.status_filter.addItem(self.tr("Resolved"), "resolved")
        self.status_filter.currentIndexChanged.connect(lambda _i: self.refresh())
        refresh = QPushButton(self.tr("Refresh"))
        refresh.clicked.connect(self.refresh)
        self.list_status = QLabel("", objectName="conflictListStatus")
        self.list_view = QTableView()
        self.list_view.setModel(self.conflicts)
        self.list_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.verticalHeader().hide()
        self.list_view.horizontalHeader().setStretchLastSection(True)
        self.list_view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.open_conflict(current.row()))
        top = QHBoxLayout()
        top.addWidget(self.status_filter)
        top.addWidget(refresh)
        top.addWidget(self.list_status, 1)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.list_view, 1)
        return box

    def _build_detail(self) -> QWidget:
        self.description = QLabel(self.tr("Choose a conflict on the left."), wordWrap=True,
                                  objectName="conflictDescription")
        self.late_hint = QLabel(self.tr(
            "A former holder's final outcome arrived after the case moved on. Confirm: the "
            "case closes with it and nobody calls again. Dismiss: the call stays in the "
            "history but no longer counts, and the case goes back to the enumerator who held "
            "it."), wordWrap=True, objectName="conflictLateHint")
        self.answer_view = QTableView()
        self.answer_view.setModel(self.answers)
        self.answer_view.verticalHeader().hide()
        self.answer_view.setWordWrap(True)
        self.primary = QComboBox()
        self.resolution = QPlainTextEdit(
            placeholderText=self.tr("What you decided and why (required)"))
        self.resolution.setMaximumHeight(80)
        self.resolve_button = QPushButton(self.tr("&Resolve"))
        self.resolve_button.clicked.connect(self.resolve)
        self.dismiss_button = QPushButton(self.tr("&Dismiss: give the case back"))
        self.dismiss_button.setToolTip(self.tr(
            "The late call stays in the history but no longer counts; the case goes back to "
            "the enumerator who held it."))
        self.dismiss_button.clicked.connect(self.dismiss)
        self.review_button = QPushButton(self.tr("Review this version…"))
        self.review_button.clicked.connect(self.review_chosen)
        self.detail_status = QLabel("", objectName="conflictStatus", wordWrap=True)
        form = QFormLayout()
        form.addRow(self.tr("Primary version"), self.primary)
        form.addRow(self.tr("Resolution"), self.resolution)
        buttons = QHBoxLayout()
        buttons.addWidget(self.review_button)
        buttons.addStretch(1)
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.resolve_button)
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.description)
        layout.addWidget(self.late_hint)
        layout.addWidget(self.answer_view, 1)
        layout.addLayout(form)
        layout.addWidget(self.detail_status)
        layout.addLayout(buttons)
        self._show_detail(None)
        return box

    # --- list ------------------------------------------------------------------------------

    def refresh(self, *, automatic: bool = False) -> None:
        """``automatic`` (a timer, a tab shown): the last count stays on screen meanwhile."""
        status = self.status_filter.currentData()
        if self.lister.load(lambda: (status, self.api.conflicts(status, limit=500)),
                            automatic=automatic) and not automatic:
            self.list_status.setText(self.tr("Loading…"))

    def reading(self) -> bool:
        """An open conflict is on screen: its list is not redrawn under the supervisor."""
        return self.detail is not None and self.detail.status == "open"

    def _listed(self, answer: tuple[str, ConflictList]) -> None:
        status, listing = answer
        if status == "open":
            self.counted.emit(listing.total)
        self.conflicts.set_rows(listing.conflicts)
        shown = len(listing.conflicts)
        text = (self.tr("{total} {status} (first {shown} shown)") if listing.total > shown
                else self.tr("{total} {status}"))
        self.list_status.setText(text.format(
            total=f"{listing.total:,}", status=self.status_filter.currentText().lower(),
            shown=f"{shown:,}"))
        # an open conflict gone from the list was resolved elsewhere: stop offering to resolve
        # it; one resolved here stays on screen with its outcome
        if self.detail is not None and self.detail.status == "open" \
                and all(c.id != self.detail.id for c in listing.conflicts):
            self._show_detail(None)

    def open_conflict(self, row: int) -> None:
        if not 0 <= row < self.conflicts.rowCount():
            return
        conflict_id = self.conflicts.row_at(row).id
        self.detail_status.setText(self.tr("Loading…"))
        self.runner.run(lambda: self.api.conflict(conflict_id), self._show_detail,
                lambda error: self.detail_status.setText(f"⚠ {error}"), owner=self)

    # --- detail ----------------------------------------------------------------------------

    def _show_detail(self, detail: ConflictDetail | None) -> None:
        self.detail = detail
        versions = detail.versions if detail else []
        self.answers = RowTableModel(answer_columns(versions), self)
        self.answers.set_rows(aligned_answers(versions))
        self.answer_view.setModel(self.answers)
        self.answer_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Stretch)
        self.primary.clear()
        for index, version in enumerate(versions):
            self.primary.addItem(version_header(index, version).split("\n")[0],
                                 version.version_uuid)
        open_ = detail is not None and detail.status == "open"
        late = detail is not None and detail.kind == LATE_OUTCOME
        self.resolve_button.setText(self.tr("&Confirm: close the case") if late
                                    else self.tr("&Resolve"))
        self.resolve_button.setEnabled(open_)
        self.dismiss_button.setVisible(late)
        self.late_hint.setVisible(late and open_)
        self.dismiss_button.setEnabled(open_ and late)
        self.review_button.setEnabled(bool(versions))
        self.primary.setEnabled(open_ and bool(versions))
        self.resolution.setReadOnly(not open_)
        self.detail_status.setText("")
        if detail is None:
            self.description.setText(self.tr("Choose a conflict on the left."))
            self.resolution.setPlainText("")
            return
        done = (" " + self.tr("Resolved {time}: {resolution}").format(
                    time=thimphu_time(detail.resolved_at), resolution=detail.resolution)
                if detail.status == "resolved" else "")
        state = detail.case_state.replace("_", " ")
        self.description.setText(self.tr("<b>Case {case}</b> ({state}): {description}.").format(
            case=detail.case_id, state=state, description=detail.description) + done)

    def resolve(self) -> None:
        """Resolve with the chosen primary version; a late outcome: confirm it."""
        self._decide("confirm" if self._late() else None)

    def dismiss(self) -> None:
        """A late outcome only: it stops counting and the case goes back to its holder."""
        if self._late():
            self._decide("dismiss")

    def _late(self) -> bool:
        return self.detail is not None and self.detail.kind == LATE_OUTCOME

    def _decide(self, decision: Decision | None) -> None:
        if self.detail is None or self.detail.status != "open":
            return
        text = self.resolution.toPlainText().strip()[:RESOLUTION_MAX]
        if not text:
            self.detail_status.setText(
                self.tr("Write the resolution first: what you decided and why."))
            return
        conflict_id = self.detail.id
        primary = self.primary.currentData() if self.detail.versions else None
        self.resolve_button.setEnabled(False)
        self.dismiss_button.setEnabled(False)
        self.detail_status.setText(self.tr("Saving…"))
        self.runner.run(
                lambda: self.api.resolve(conflict_id, primary_version_uuid=primary,
                                         resolution=text, decision=decision),
                lambda detail: self._resolved(detail, decision), self._resolve_failed,
                owner=self)

    def _resolved(self, detail: ConflictDetail, decision: Decision | None) -> None:
        self._show_detail(detail)
        done = {"confirm": self.tr("Confirmed: case {case} is now {state}."),
                "dismiss": self.tr("Dismissed: the late outcome no longer counts; case {case} "
                                   "is now {state}.")}.get(
            decision or "", self.tr("Resolved: case {case} is now {state}."))
        self.detail_status.setText(done.format(
            case=detail.case_id, state=detail.case_state.replace("_", " ")))
        self.refresh()

    def _resolve_failed(self, error: BaseException) -> None:
        self.resolve_button.setEnabled(True)
        self.dismiss_button.setEnabled(self._late())
        self.detail_status.setText(self.tr("⚠ Not resolved: {error}").format(error=error))

    def review_chosen(self) -> ReviewDialog | None:
        if self.detail is None or not self.detail.versions:
            return None
        version = self.detail.versions[max(0, self.primary.currentIndex())]
        about = self.tr("Case {case}: {enumerator}'s interview ({completion}). The primary "
                        "version of the interview is reviewed.").format(
                            case=self.detail.case_id, enumerator=version.enumerator,
                            completion=outcome_label(version.completion))
        self.review_dialog = ReviewDialog(self.api, self.runner, version.interview_uuid, about,
                                          self)
        self.review_dialog.open()
        return self.review_dialog
