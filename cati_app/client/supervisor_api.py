"""HTTP client of the supervisor, report, import and export routes, built on ``ApiClient``:
the same session, timeouts and error mapping (every failure is an ``ApiError`` whose text a
person can act on). Models in and out come from ``cati_app.core.protocol_supervision``.

Plain Python without Qt: the desktop runs these calls on its background runner.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import RootModel

from cati_app.client.api import ApiClient, ApiError
from cati_app.client.do_not_call_api import DoNotCallApi
from cati_app.client.sampling_api import SamplingApi
from cati_app.client.uploads import upload
from cati_app.core.protocol_admin import SampleBatchOut
from cati_app.core.protocol_scorecard import Ticket, TicketChange, TicketPage
from cati_app.core.protocol_supervision import (
    MAX_CASES_PER_CHANGE,
    AssignRequest,
    AssignResponse,
    CasePage,
    ConflictDetail,
    ConflictList,
    MatchingCases,
    PhoneRevealRequest,
    PriorityRequest,
    PriorityResponse,
    ProgressReport,
    QuarantineList,
    QuarantineRow,
    RateBreakdown,
    RejectRequest,
    ReleasedList,
    ResolveRequest,
    ResponseRates,
    RevealedPhones,
    ReviewList,
    ReviewRequest,
    ReviewResponse,
    RoomStatus,
    SampleImportResult,
    Settlement,
    SettleRequest,
    Trends,
)
from cati_app.core.questionnaire.xlsform_sheets import QuestionnaireImportResult

log = logging.getLogger(__name__)

#: the server builds a large workbook before its first byte
EXPORT_READ_TIMEOUT = 600.0
CHUNK_BYTES = 64 * 1024
EXPORTS = {"summary": "/v1/exports/summary.xlsx", "raw": "/v1/exports/raw.csv"}

#: what a supervisor decides about a former holder's late final outcome
Decision = Literal["confirm", "dismiss"]
#: (bytes so far, total bytes or None when the server does not say)
Progress = Callable[[int, int | None], None]


class DownloadCancelled(ApiError):
    """The person stopped the download; nothing was saved."""


@dataclass(frozen=True)
class CaseQuery:
    """The case browser's filters; empty means "any"."""

    state: str | None = None
    holder: str | None = None
    service: str | None = None
    batch: int | None = None
    text: str | None = None

    def params(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v not in (None, "")}


@dataclass(frozen=True)
class TicketQuery:
    """The complaints page's filters; empty means "any"."""

    agency: str | None = None
    service: str | None = None
    office: str | None = None
    state: str | None = None
    category: str | None = None

    def params(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v not in (None, "")}


class _CallLists(RootModel[list[SampleBatchOut]]):
    pass


class SupervisorApi:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    # --- cases -----------------------------------------------------------------------------

    def cases(self, query: CaseQuery, *, limit: int = 100, offset: int = 0) -> CasePage:
        params = {**query.params(), "limit": limit, "offset": offset}
        return self.api.request("GET", "/v1/cases", CasePage, params=params)

    def call_lists(self) -> list[SampleBatchOut]:
        """Every imported call list (sample batch), newest first, with its name."""
        return self.api.request("GET", "/v1/samples/batches", _CallLists).root

    def matching(self, query: CaseQuery) -> MatchingCases:
        """Every case the filters match (no personal data), for a change to all of them."""
        return self.api.request("GET", "/v1/cases/matching", MatchingCases, params=query.params())

    def assign(self, case_ids: list[int], to_user: str | None, *, force: bool = False,
               reason: str = "") -> AssignResponse:
        """``to_user=None`` returns the cases to the pool. More cases than one request may
        carry go in several requests (each its own transaction); the results are joined."""
        results = []
        for chunk in _chunks(case_ids):
            body = AssignRequest(case_ids=chunk, to_user=to_user, force=force, reason=reason)
            results += self.api.request("POST", "/v1/cases/assign", AssignResponse,
                                        body=body).results
        return AssignResponse(results=results)

    def reveal_phones(self, case_id: int, reason: str) -> RevealedPhones:
        """A case's numbers in full; the server audits the request with its reason."""
        body = PhoneRevealRequest(reason=reason)
        return self.api.request("POST", f"/v1/cases/{int(case_id)}/phones", RevealedPhones,
                                body=body)

    def do_not_call(self) -> DoNotCallApi:
        """The do-not-call register: list (masked) and add."""
        return DoNotCallApi(self.api)

    def sampling(self) -> SamplingApi:
        """Frames, draws and their sample reports, and the release of replicates."""
        return SamplingApi(self.api)

    def released_cases(self) -> ReleasedList:
        return self.api.request("GET", "/v1/cases/released", ReleasedList)

    def quarantine(self, status: str = "open", *, limit: int = 100, offset: int = 0
                   ) -> QuarantineList:
        return self.api.request("GET", "/v1/quarantine", QuarantineList,
                                params={"status": status, "limit": limit, "offset": offset})

    def settle_quarantined(self, item_id: int, settlement: Settlement, note: str = ""
                           ) -> QuarantineRow:
        body = SettleRequest(settlement=settlement, note=note)
        return self.api.request("POST", f"/v1/quarantine/{int(item_id)}/settle", QuarantineRow,
                                body=body)

    def set_priority(self, case_ids: list[int], priority: int) -> PriorityResponse:
        changed = 0
        for chunk in _chunks(case_ids):
            body = PriorityRequest(case_ids=chunk, priority=priority)
            changed += self.api.request("POST", "/v1/cases/priority", PriorityResponse,
                                        body=body).changed
        return PriorityResponse(changed=changed)

    # --- conflicts and review --------------------------------------------------------------

    def conflicts(self, status: str = "open", *, limit: int = 100, offset: int = 0
                  ) -> ConflictList:
        return self.api.request("GET", "/v1/conflicts", ConflictList,
                                params={"status": status, "limit": limit, "offset": offset})

    def conflict(self, conflict_id: int) -> ConflictDetail:
        return self.api.request("GET", f"/v1/conflicts/{int(conflict_id)}", ConflictDetail)

    def resolve(self, conflict_id: int, *, primary_version_uuid: str | None,
                resolution: str, decision: Decision | None = None) -> ConflictDetail:
        """``decision`` is for a former holder's late final outcome only: ``confirm`` (the
        server's default) closes the case with it, ``dismiss`` gives the case back."""
        body = ResolveRequest(primary_version_uuid=primary_version_uuid, resolution=resolution,
                              decision=decision)
        return self.api.request("POST", f"/v1/conflicts/{int(conflict_id)}/resolve",
                              ConflictDetail, body=body)

    def interviews_for_review(self, review_status: str = "pending", service: str | None = None,
                              *, limit: int = 100, offset: int = 0) -> ReviewList:
        """Primary interview versions with that review status, oldest first, with answers."""
        params: dict[str, Any] = {"review_status": review_status, "limit": limit,
                                  "offset": offset}
        if service:
            params["service"] = service
        return self.api.request("GET", "/v1/interviews", ReviewList, params=params)

    def approve(self, interview_uuid: str, comment: str = "") -> ReviewResponse:
        body = ReviewRequest(comment=comment)
        return self.api.request("POST", f"/v1/interviews/{_uuid_path(interview_uuid)}/approve",
                                ReviewResponse, body=body)

    def reject(self, interview_uuid: str, comment: str) -> ReviewResponse:
        """Back to the enumerator who made it, for correction; ``comment`` is required."""
        body = RejectRequest(comment=comment)
        return self.api.request("POST", f"/v1/interviews/{_uuid_path(interview_uuid)}/reject",
                                ReviewResponse, body=body)

    # --- complaint tickets -----------------------------------------------------------------

    def tickets(self, query: TicketQuery, *, limit: int = 200, offset: int = 0) -> TicketPage:
        params = {**query.params(), "limit": limit, "offset": offset}
        return self.api.request("GET", "/v1/tickets", TicketPage, params=params)

    def ticket(self, ticket_id: int) -> Ticket:
        return self.api.request("GET", f"/v1/tickets/{int(ticket_id)}", Ticket)

    def change_ticket(self, ticket_id: int, state: str, note: str,
                      category: str | None = None) -> Ticket:
        """Move a ticket along (open → acknowledged → resolved, or reopen) with a note, or
        recategorise it (its current state and a ``category``)."""
        body = TicketChange.model_validate({"state": state, "note": note,
                                            "category": category})
        return self.api.request("POST", f"/v1/tickets/{int(ticket_id)}/state", Ticket,
                                body=body)

    # --- reports ---------------------------------------------------------------------------

    def rates_by(self, by: str, service: str | None = None, date_from: date | None = None,
                 date_to: date | None = None) -> RateBreakdown:
        params = {"by": by, **_date_params(service, date_from, date_to)}
        return self.api.request("GET", "/v1/reports/response-rates/by", RateBreakdown,
                                params=params)

    def trends(self, days: int = 28, weeks: int = 12) -> Trends:
        return self.api.request("GET", "/v1/reports/trends", Trends,
                                params={"days": days, "weeks": weeks})

    def room(self) -> RoomStatus:
        return self.api.request("GET", "/v1/reports/room", RoomStatus)

    def progress(self) -> ProgressReport:
        return self.api.request("GET", "/v1/reports/progress", ProgressReport)

    def response_rates(self, service: str | None = None, date_from: date | None = None,
                       date_to: date | None = None) -> ResponseRates:
        return self.api.request("GET", "/v1/reports/response-rates", ResponseRates,
                                params=_date_params(service, date_from, date_to))

    # --- import and export -----------------------------------------------------------------

    def import_sample(self, path: str | Path, service_code: str,
                      batch_name: str = "") -> SampleImportResult:
        """Upload a CSV or XLSX call list; the good rows become a new batch, the bad ones
        come back in ``problems``."""
        path = Path(path)
        form = {"service": service_code}
        if batch_name.strip():
            form["batch_name"] = batch_name.strip()
        return upload(self.api, "/v1/samples/import", SampleImportResult, path, form,
                      if_too_large="split the list into smaller files and import each")

    def import_questionnaire(self, path: str | Path, service_code: str
                             ) -> QuestionnaireImportResult:
        """Upload an XLSForm workbook as the service's next questionnaire version. When the
        workbook has problems nothing is stored and ``RequestRejected`` (error
        ``xlsform_problems``) carries them in ``fields`` (``XLSFormProblem`` each)."""
        path = Path(path)
        try:
            with path.open("rb") as stream:
                return self.api.request("POST", "/v1/admin/questionnaires/xlsform",
                                        QuestionnaireImportResult, content_type=None,
                                        files={"file": (path.name, stream)},
                                        data={"service": service_code})
        except OSError as exc:
            raise ApiError(f"cannot read {path.name}: {exc.strerror or exc}") from None

    def download_export(self, kind: str, destination: str | Path, *,
                        services: Sequence[str] = (), date_from: date | None = None,
                        date_to: date | None = None, progress: Progress | None = None,
                        cancelled: Callable[[], bool] = lambda: False) -> Path:
        """Stream an export (``summary`` workbook or ``raw`` CSV) of some services, or of all
        when ``services`` is empty, to ``destination``: one file, whatever the number of
        services (the server takes ``service`` once per code). The
        bytes go to a ``.part`` file renamed only when complete, so a failed or cancelled
        download never leaves half a workbook where the person expects a whole one."""
        destination = Path(destination)
        params: dict[str, Any] = _date_params(None, date_from, date_to)
        if services:
            params["service"] = list(services)  # requests repeats the key for a list
        response = self.api.send("GET", EXPORTS[kind], params=params, stream=True,
                                  read_timeout=EXPORT_READ_TIMEOUT)
        partial = destination.with_name(destination.name + ".part")
        try:
            with response, partial.open("wb") as out:
                _copy(response, out, progress, cancelled)
            os.replace(partial, destination)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        log.info("export %s downloaded (%d bytes)", kind, destination.stat().st_size)
        return destination


def _copy(response: Any, out: Any, progress: Progress | None,
          cancelled: Callable[[], bool]) -> None:
    header = response.headers.get("Content-Length", "")
    total = int(header) if header.isdigit() else None
    done = 0
    if progress:
        progress(0, total)
    for chunk in response.iter_content(CHUNK_BYTES):
        if cancelled():
            raise DownloadCancelled("download stopped: nothing was saved")
        out.write(chunk)
        done += len(chunk)
        if progress:
            progress(done, total)


def _date_params(service: str | None, date_from: date | None, date_to: date | None
                 ) -> dict[str, str]:
    params = {"service": service, "from": date_from.isoformat() if date_from else None,
              "to": date_to.isoformat() if date_to else None}
    return {k: v for k, v in params.items() if v}


def _uuid_path(value: str) -> str:
    # an interview uuid typed by hand: keep it to the characters a uuid has
    cleaned = "".join(c for c in value.strip() if c.isalnum() or c == "-")
    if not cleaned:
        raise ApiError("give the interview's id (a UUID)")
    return cleaned


def _chunks(case_ids: list[int]) -> list[list[int]]:
    return [case_ids[i:i + MAX_CASES_PER_CHANGE]
            for i in range(0, len(case_ids), MAX_CASES_PER_CHANGE)] or [case_ids]
