"""Demo-like cases for the screenshot and the startup benchmark (names are common Bhutanese
names; the numbers are in valid ranges but made up)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from cati_app.core.protocol import Appointment, AppointmentKind, AttemptSummary, QueueCase
from cati_app.core.questionnaire import default_questionnaire

NAMES = ("Karma Wangchuk", "Pema Choden", "Sonam Dorji", "Tshering Yangzom", "Dechen Wangmo",
         "Ugyen Tenzin", "Kinley Dema", "Jigme Namgyel", "Sangay Lhamo", "Tandin Wangdi",
         "Yeshey Zangmo", "Phuntsho Norbu", "Chimi Dolkar", "Nima Gyeltshen", "Dawa Penjor")
SERVICES = (("DCRC-CID", "Issuance of New CID Card"),
            ("DCRC-MIMO", "Move-in/Move-out (census transfer)"))
OFFICES = (("Thimphu Dzongkhag Census Office", "Thimphu"), ("Paro Dungkhag Office", "Paro"),
           ("Punakha Dzongkhag Office", "Punakha"), ("Phuentsholing Thromde Office", "Chhukha"))


def demo_case(case_id: int, now: datetime, *, attempts: list[AttemptSummary] | None = None,
              next_call_at: datetime | None = None, appointment: Appointment | None = None,
              priority: int = 50) -> QueueCase:
    q = default_questionnaire()
    service_code, service_name = SERVICES[case_id % len(SERVICES)]
    office, dzongkhag = OFFICES[case_id % len(OFFICES)]
    mobile = f"+975{(17, 77, 16)[case_id % 3]}{(case_id * 7919) % 1_000_000:06d}"
    return QueueCase(
        case_id=case_id, assignment_version=1, service_code=service_code,
        service_name=service_name, questionnaire_id=q.id, questionnaire_version=q.version,
        priority=priority, respondent_name=NAMES[case_id % len(NAMES)], phones=[mobile],
        office=office, dzongkhag=dzongkhag,
        date_availed=date(2026, 5, 1) + timedelta(days=case_id % 30), language="en",
        attempts=attempts or [], next_call_at=next_call_at, appointment=appointment)


def demo_queue(now: datetime, username: str, count: int = 15) -> list[QueueCase]:
    """A mixed queue: an appointment falling due, retries, fresh cases, one not yet due."""
    def tried(outcome: str, code: str, hours_ago: float, note: str = "") -> AttemptSummary:
        return AttemptSummary(started_at=now - timedelta(hours=hours_ago), outcome=outcome,
                              aapor_code=code, phone_index=0, note=note, enumerator=username)

    cases = [
        # attempt times fall in Saturday's calling window (now is Monday 10:00 in Thimphu)
        demo_case(1, now, attempts=[tried("appointment", "2.21", 44, "Asked to call at 10:03")],
                  next_call_at=now + timedelta(minutes=3),
                  appointment=Appointment(at=now + timedelta(minutes=3), kind=AppointmentKind.hard,
                                          booked_by=username)),
        demo_case(2, now, attempts=[tried("no_answer", "3.13", 46), tried("busy", "3.12", 44)],
                  next_call_at=now - timedelta(hours=1), priority=70),
        demo_case(3, now, attempts=[tried("unreachable", "3.16", 45)],
                  next_call_at=now - timedelta(minutes=40)),
        demo_case(4, now, attempts=[tried("soft_refusal", "2.112", 43, "Busy at work; try later")],
                  next_call_at=now + timedelta(days=6)),
    ]
    cases += [demo_case(i, now, priority=50 + (i % 3) * 10) for i in range(5, count + 1)]
    return cases
