"""Issue 10, "Time": the enumerator's workspace plans with the calling rules the server sent
at the last sync, not the built-in defaults."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cati_app.client.store import LocalStore
from cati_app.core.clock import FixedClock
from cati_app.desktop.enumerator.appointment import AppointmentRefused, check_appointment
from cati_app.desktop.enumerator.controller import EnumeratorController

#: Tuesday 2 June 2026 declared a holiday by the admin; evenings end at 18:00
RULES = {"calendar": {"holidays": ["2026-06-02"],
                      "windows": {d: [["09:00", "18:00"]] for d in
                                  ("mon", "tue", "wed", "thu", "fri")}},
         "retry_delays_minutes": {"busy": 45}}


def test_the_workspace_plans_with_the_rules_from_the_last_sync(
        controller: EnumeratorController, seeded_store: LocalStore, clock: FixedClock) -> None:
    tomorrow_11 = clock.now() + timedelta(days=1, hours=1)  # Tuesday 11:00 Thimphu
    assert check_appointment(tomorrow_11, controller.now(), controller.rules.calendar)
    seeded_store.set_calling_rules(RULES, version=3)  # what the sync engine does
    with pytest.raises(AppointmentRefused, match="outside the calling windows"):
        check_appointment(tomorrow_11, controller.now(), controller.rules.calendar)
    controller.record_outcome(101, outcome="busy", phone_index=0, started_at=clock.now())
    assert controller.case(101).next_call_at == clock.now() + timedelta(minutes=45)


def test_rules_the_app_cannot_read_are_refused_and_the_old_ones_kept(
        controller: EnumeratorController, seeded_store: LocalStore) -> None:
    with pytest.raises(ValueError, match="attempt_cap"):
        seeded_store.set_calling_rules({"attempt_cap": 0}, version=4)
    assert controller.rules.attempt_cap == 6 and seeded_store.server_rules() is None
