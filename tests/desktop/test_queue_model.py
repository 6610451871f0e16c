"""The queue table model: qtmodeltester, in-place insert/update/remove, filter, order, counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from cati_app.client.store.views import LocalAppointment, QueueItem
from cati_app.desktop.display import QueueGroup
from cati_app.desktop.enumerator.queue_model import CASE_ID_ROLE, QueueFilterProxy, QueueTableModel

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


def case(case_id: int, name: str, **changes) -> QueueItem:
    base = QueueItem(
        case_id=case_id, respondent_name=name, service_code="DCRC-CID",
        service_name="Issuance of New CID Card", office="Thimphu", dzongkhag="Thimphu",
        priority=50, date_availed=None, next_call_at=None, appointment=None, attempt_count=0,
        last_outcome=None, last_called_at=None, returned_for_correction=False)
    return replace(base, **changes)


def called(outcome: str = "no_answer") -> dict:
    """The fields of a case called once, three hours ago."""
    return {"attempt_count": 1, "last_outcome": outcome,
            "last_called_at": NOW - timedelta(hours=3)}


def names(proxy: QueueFilterProxy) -> list[str]:
    return [proxy.index(row, 1).data() for row in range(proxy.rowCount())]


def make_model(qtmodeltester) -> tuple[QueueTableModel, QueueFilterProxy]:
    model = QueueTableModel(lambda: NOW)
    proxy = QueueFilterProxy()
    proxy.setSourceModel(model)
    # the tester stays connected: every later change in the test is checked as it happens
    qtmodeltester.check(model, force_py=True)
    return model, proxy


def test_the_proxy_passes_the_model_tester_through_changes(qtmodeltester):
    model = QueueTableModel(lambda: NOW)
    proxy = QueueFilterProxy()
    proxy.setSourceModel(model)
    model.set_cases([case(1, "Karma"), case(2, "Pema", **called())])
    qtmodeltester.check(proxy, force_py=True)
    model.set_cases([case(2, "Pema", priority=80), case(3, "Sonam")])
    proxy.set_filter_text("so")
    assert names(proxy) == ["Sonam"]


def test_model_shows_attempts_and_last_outcome(qtmodeltester):
    model, _proxy = make_model(qtmodeltester)
    model.set_cases([case(1, "Karma"), case(2, "Pema", **called())])
    assert model.index(1, 3).data() == "1"
    assert model.index(1, 4).data() == "No answer"


def test_insert_update_remove_in_place_without_reset(qtmodeltester, qtbot):
    model, proxy = make_model(qtmodeltester)
    model.set_cases([case(1, "Karma"), case(2, "Pema"), case(3, "Sonam")])
    resets, removed, inserted, changed = [], [], [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.dataChanged.connect(lambda top, _bottom: changed.append(top.row()))

    # Pema done (removed), Sonam's priority raised (updated, and moves first), Dorji new
    model.set_cases([case(3, "Sonam", priority=90), case(1, "Karma"), case(4, "Dorji")])

    assert resets == []
    assert removed == [(1, 1)]
    assert inserted == [(2, 2)]
    assert 1 in changed  # Sonam, updated where it stood, then moved up by a layout change
    assert model.row_of(3) == 0
    assert names(proxy) == ["Sonam", "Karma", "Dorji"]  # the store's queue order
    assert proxy.index(0, 6).data() == "90"


def test_unchanged_refresh_emits_nothing(qtmodeltester):
    model, _proxy = make_model(qtmodeltester)
    cases = [case(1, "Karma"), case(2, "Pema")]
    model.set_cases(cases)
    changed = []
    model.dataChanged.connect(lambda *_: changed.append(1))
    model.set_cases(list(cases))
    assert changed == []


def test_filter_matches_name_service_and_office_case_insensitively(qtmodeltester):
    model, proxy = make_model(qtmodeltester)
    model.set_cases([case(1, "Karma Wangchuk"), case(2, "Pema Choden", office="Paro"),
                     case(3, "Sonam", service_name="Move-in/Move-out")])
    proxy.set_filter_text("karma")
    assert names(proxy) == ["Karma Wangchuk"]
    proxy.set_filter_text("PARO")
    assert names(proxy) == ["Pema Choden"]
    proxy.set_filter_text("move-in")
    assert names(proxy) == ["Sonam"]
    proxy.set_filter_text("")
    assert len(names(proxy)) == 3


def test_groups_counts_and_thimphu_times(qtmodeltester):
    model, proxy = make_model(qtmodeltester)
    at = NOW + timedelta(hours=2)  # 12:00 in Thimphu
    model.set_cases([
        case(1, "Appointment due", appointment=LocalAppointment(NOW, "soft", "enum1"),
             next_call_at=NOW, **called("appointment")),
        case(2, "Retry", **called(), next_call_at=NOW - timedelta(minutes=1)),
        case(3, "Fresh"),
        case(4, "Later", **called(), next_call_at=at),
    ])
    counts = model.group_counts()
    assert counts == {QueueGroup.APPOINTMENT: 1, QueueGroup.RETRY: 1, QueueGroup.FRESH: 1,
                      QueueGroup.LATER: 1}
    assert [proxy.index(r, 0).data() for r in range(4)] == [
        "Appointment", "Retry", "Fresh", "Later"]
    assert proxy.index(3, 5).data() == "Mon 01 Jun 12:00"
    assert proxy.index(2, 5).data() == "any time"
    assert proxy.index(0, 0).data(CASE_ID_ROLE) == 1


def test_clicking_a_header_sorts_by_that_column(qtmodeltester):
    model, proxy = make_model(qtmodeltester)
    model.set_cases([case(1, "Karma", priority=10), case(2, "Pema", priority=90),
                     case(3, "Dorji", priority=50)])
    proxy.sort(6, Qt.SortOrder.DescendingOrder)
    assert names(proxy) == ["Pema", "Dorji", "Karma"]
    proxy.sort(1)
    assert names(proxy) == ["Dorji", "Karma", "Pema"]
    proxy.queue_order()
    assert names(proxy) == ["Karma", "Pema", "Dorji"]
