"""Issue 10: the supervisor's case table shows what the server flags on a case (a former
holder's offline calls or kept-aside appointment, a mass claim) in words."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt

from cati_app.core.protocol_supervision import CasePage, CaseRow
from cati_app.desktop.supervisor.case_model import CasePageModel


def _row(case_id: int, flags: list[str], attempts: int = 0, stale: int = 0) -> CaseRow:
    return CaseRow(case_id=case_id, service_code="CID", batch_id=None, respondent_name="R",
                   phones=[], office="", dzongkhag="", date_availed=None, priority=50,
                   state="held", holder="enum2", assignment_version=2, attempts=attempts,
                   stale_attempts=stale, flags=flags, disposition=None, disposition_code=None,
                   next_call_at=None, appointment_at=None,
                   updated_at=datetime(2026, 6, 2, tzinfo=UTC))


def test_flags_and_real_attempt_counts_are_shown(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = CasePageModel()
    model.set_page(CasePage(total=2, limit=200, offset=0, cases=[
        _row(1, ["stale_attempts", "stale_hard_appointment"], attempts=2, stale=2),
        _row(2, [])]))
    qtmodeltester.check(model, force_py=True)
    headers = [model.headerData(c, Qt.Orientation.Horizontal)
               for c in range(model.columnCount())]
    flags, attempts = headers.index("Flags"), headers.index("Attempts")
    assert model.index(0, flags).data() == ("calls by a former holder, "
                                            "former holder's hard appointment")
    assert model.index(0, attempts).data() == "2"
    assert model.index(1, flags).data() == ""
