"""HTTP client of the do-not-call register (``/v1/do-not-call``): supervisors and admins list
it (masked) and add to it, admins remove from it with a reason. ``SupervisorApi.do_not_call``
and ``AdminApi.do_not_call`` hand it out over their connection."""

from __future__ import annotations

from typing import Literal

from cati_app.client.api import ApiClient
from cati_app.core.protocol_sampling import (
    DoNotCallAdd,
    DoNotCallEntry,
    DoNotCallPage,
    DoNotCallRemove,
)

#: the sources a person may give by hand (the others are recorded by the system)
HandSource = Literal["request", "supervisor"]


class DoNotCallApi:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def page(self, last_digits: str = "", *, limit: int = 100, offset: int = 0
             ) -> DoNotCallPage:
        params: dict[str, object] = {"limit": limit, "offset": offset}
        if last_digits.strip():
            params["last_digits"] = last_digits.strip()
        return self.api.request("GET", "/v1/do-not-call", DoNotCallPage, params=params)

    def add(self, phone: str, source: HandSource = "request", reason: str = ""
            ) -> DoNotCallEntry:
        """The entry, with ``already_listed`` when the number was on the register already and
        ``cases_withdrawn``: open cases closed because no number was left to call."""
        body = DoNotCallAdd(phone=phone.strip(), source=source, reason=reason.strip())
        return self.api.request("POST", "/v1/do-not-call", DoNotCallEntry, body=body)

    def remove(self, entry_id: int, reason: str) -> DoNotCallEntry:
        """Admins only; the entry stays in the register's history."""
        body = DoNotCallRemove(reason=reason.strip())
        return self.api.request("POST", f"/v1/do-not-call/{int(entry_id)}/remove",
                                DoNotCallEntry, body=body)
