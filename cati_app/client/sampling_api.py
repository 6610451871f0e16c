"""HTTP client of sample management (issue 15): frames (``/v1/frames``), draws and their
sample reports (``/v1/draws``) and the release of replicates. Supervisors and admins import,
draw and release; analysts read. ``SupervisorApi.sampling`` hands it out over its connection.
Models in and out come from ``cati_app.core.protocol_sampling``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import RootModel

from cati_app.client.api import ApiClient
from cati_app.client.uploads import upload
from cati_app.core.protocol_sampling import (
    DrawReport,
    DrawRequest,
    FrameImportResult,
    FrameOut,
    ReleaseRequest,
    ReleaseResult,
)

#: a draw reads the whole frame and the registers it checks against
DRAW_READ_TIMEOUT = 300.0


class _Frames(RootModel[list[FrameOut]]):
    pass


class _Draws(RootModel[list[DrawReport]]):
    pass


class SamplingApi:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def frames(self) -> list[FrameOut]:
        """Every frame imported, newest first."""
        return self.api.request("GET", "/v1/frames", _Frames).root

    def draws(self, frame_id: int | None = None) -> list[DrawReport]:
        """The sample reports of every draw, or of one frame's, newest first."""
        params = {"frame_id": int(frame_id)} if frame_id is not None else None
        return self.api.request("GET", "/v1/draws", _Draws, params=params).root

    def draw_report(self, draw_id: int) -> DrawReport:
        return self.api.request("GET", f"/v1/draws/{int(draw_id)}", DrawReport)

    def import_frame(self, path: str | Path, *, name: str = "", agency: str = "",
                     period_start: date | None = None, period_end: date | None = None
                     ) -> FrameImportResult:
        """Upload a register extract (CSV or XLSX); the usable rows become a frame, the others
        come back in ``problems``."""
        path = Path(path)
        form = {"name": name.strip(), "agency": agency.strip(),
                "period_start": period_start.isoformat() if period_start else None,
                "period_end": period_end.isoformat() if period_end else None}
        data = {key: value for key, value in form.items() if value}
        return upload(self.api, "/v1/frames/import", FrameImportResult, path, data,
                      if_too_large="split the register into smaller files (by service, say) "
                                   "and import each as its own frame")

    def draw(self, frame_id: int, request: DrawRequest) -> DrawReport:
        """Draw a stratified random sample; the new draw's sample report (with the seed the
        server used when ``request.seed`` was None)."""
        return self.api.request("POST", f"/v1/frames/{int(frame_id)}/draws", DrawReport,
                                body=request, read_timeout=DRAW_READ_TIMEOUT)

    def release(self, draw_id: int, replicate: int | None = None) -> ReleaseResult:
        """Release the next replicate (or the one named) to the call queue."""
        return self.api.request("POST", f"/v1/draws/{int(draw_id)}/release", ReleaseResult,
                                body=ReleaseRequest(replicate=replicate))
