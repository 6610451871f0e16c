"""The "Complaint tickets" sheet (issue 16): what became of each complaint, as plain data for
an analyst. Texts come masked from the server; there are no names or phone numbers to leave
out. (The "Complaints" sheet beside it lists what respondents said in the interviews.)"""

from __future__ import annotations

from collections.abc import Sequence

from cati_app.core.clock import to_thimphu
from cati_app.core.protocol_scorecard import Ticket
from cati_app.reports import styles

TITLES = ("Ticket", "Reported", "Service", "Agency", "Office", "Dzongkhag", "Channel",
          "Category", "State", "Resolved (BTT)", "Days to resolve", "Call-back agreed",
          "Call-back answer", "Last note", "Complaint")
WIDTHS = (9, 11, 10, 24, 24, 16, 9, 16, 13, 17, 10, 10, 24, 32, 60)
SECONDS_PER_DAY = 86_400


def write_tickets(ws: styles.TextSafeSheet, tickets: Sequence[Ticket]) -> None:
    styles.prepare(ws, WIDTHS, "B2")
    styles.tall_header(ws, 1)
    ws.append(styles.header(ws, TITLES))
    formats = [styles.INTEGER] + [None] * 9 + ["0.0"] + [None] * 4
    for t in tickets:
        ws.append(styles.formatted(ws, _row(t), formats))
    styles.add_filter(ws, 1, len(TITLES), len(tickets) + 1)


def _row(t: Ticket) -> list[object]:
    days = None
    if t.resolved_at is not None:
        days = round((t.resolved_at - t.created_at).total_seconds() / SECONDS_PER_DAY, 1)
    resolved = (to_thimphu(t.resolved_at).strftime("%Y-%m-%d %H:%M") if t.resolved_at
                else "")
    return [t.id, t.reported_on.isoformat(), t.service_code, t.agency, t.office, t.dzongkhag,
            t.channel, t.category, t.state, resolved, days,
            "yes" if t.consent_to_follow_up else "no", t.follow_up or "", t.note, t.text]
