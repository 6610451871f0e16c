"""Client test helpers: the device's user, a complete interview's answers and a case as a claim
hands it to the device."""

from __future__ import annotations

from datetime import date
from typing import Any

from cati_app.core.protocol import QueueCase
from tests.support.constants import TUESDAY_10AM

__all__ = ["COMPLETE_ANSWERS", "TUESDAY_10AM", "USERNAME", "queue_case"]

USERNAME = "karma"

#: every indicator answered: a complete interview of the default SET script
COMPLETE_ANSWERS: dict[str, Any] = {
    "consent": "yes", "availed": "yes", "acc_info": "4", "acc_reach": "5", "time_wait": "3",
    "time_turnaround": "2", "att_welcome": "5", "att_courtesy": "4", "int_fair": "dk",
    "int_payment": "5", "fb_channels": "ref", "fb_willing": "4", "complaint": "no",
}


def queue_case(case_id: int, **overrides: Any) -> QueueCase:
    fields: dict[str, Any] = dict(
        case_id=case_id, assignment_version=1, service_code="CID", service_name="New CID card",
        questionnaire_id="set", questionnaire_version=1, priority=50,
        respondent_name=f"Respondent {case_id}", phones=["+97517123456", "+97577123456"],
        office="Thimphu DCRC", dzongkhag="Thimphu", date_availed=date(2026, 5, 20),
        language="en", state="held")
    fields.update(overrides)
    return QueueCase(**fields)
