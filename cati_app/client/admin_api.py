"""HTTP client of the admin routes and of the audit trail, built on ``ApiClient`` like
``SupervisorApi``: the same session, timeouts and error mapping. Plain Python without Qt: the
desktop runs these calls on its background runner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, RootModel

from cati_app.client.api import ApiClient
from cati_app.client.do_not_call_api import DoNotCallApi
from cati_app.core.protocol import CallingRulesDoc, CallingRulesUpdate, Role
from cati_app.core.protocol_admin import (
    AuditPage,
    LockedAccount,
    RoleChange,
    SampleBatchOut,
    SkillsChange,
)
from cati_app.core.protocol_supervision import (
    DeviceOut,
    DeviceRevoked,
    PasswordReset,
    QuestionnaireOut,
    ServiceChange,
    ServiceCreate,
    ServiceOut,
    UserCreate,
    UserOut,
    UserStatus,
    UserUnlocked,
)

Item = TypeVar("Item", bound=BaseModel)


class _Users(RootModel[list[UserOut]]):
    pass


class _Devices(RootModel[list[DeviceOut]]):
    pass


class _Locks(RootModel[list[LockedAccount]]):
    pass


class _Services(RootModel[list[ServiceOut]]):
    pass


class _Questionnaires(RootModel[list[QuestionnaireOut]]):
    pass


class _Batches(RootModel[list[SampleBatchOut]]):
    pass


def _name(value: str) -> str:
    return quote(value.strip(), safe="")


def _json(body: BaseModel) -> str:
    return body.model_dump_json(exclude_none=True)


class AdminApi:
    def __init__(self, api: ApiClient) -> None:
        self.api = api

    # --- accounts --------------------------------------------------------------------------

    def users(self) -> list[UserOut]:
        return self.api.request("GET", "/v1/admin/users", _Users).root

    def create_user(self, username: str, full_name: str, role: Role, password: str) -> UserOut:
        body = UserCreate(username=username.strip(), full_name=full_name.strip(), role=role,
                          password=password)
        return self.api.request("POST", "/v1/admin/users", UserOut, data=_json(body))

    def set_active(self, username: str, active: bool) -> UserStatus:
        verb = "activate" if active else "deactivate"
        return self.api.request("POST", f"/v1/admin/users/{_name(username)}/{verb}", UserStatus)

    def reset_password(self, username: str, password: str) -> UserStatus:
        return self.api.request("POST", f"/v1/admin/users/{_name(username)}/password", UserStatus,
                                data=_json(PasswordReset(password=password)))

    def set_role(self, username: str, role: Role) -> UserStatus:
        return self.api.request("POST", f"/v1/admin/users/{_name(username)}/role", UserStatus,
                                data=_json(RoleChange(role=role)))

    def set_skills(self, username: str, languages: list[str], skills: list[str]
                   ) -> UserStatus:
        body = SkillsChange(languages=languages, skills=skills)
        return self.api.request("PUT", f"/v1/admin/users/{_name(username)}/skills",
                                UserStatus, data=_json(body))

    def locked_accounts(self) -> list[LockedAccount]:
        return self.api.request("GET", "/v1/admin/locked-accounts", _Locks).root

    def unlock(self, username: str) -> UserUnlocked:
        return self.api.request("POST", f"/v1/admin/users/{_name(username)}/unlock", UserUnlocked)

    # --- devices ---------------------------------------------------------------------------

    def devices(self) -> list[DeviceOut]:
        return self.api.request("GET", "/v1/admin/devices", _Devices).root

    def approve_device(self, device_id: str, username: str) -> DeviceOut:
        return self.api.request("POST", f"/v1/admin/devices/{_name(device_id)}/approve",
                                DeviceOut, params={"username": username})

    def revoke_device(self, device_id: str, username: str) -> DeviceRevoked:
        """Only that account's registration of the device."""
        return self.api.request("POST", f"/v1/admin/devices/{_name(device_id)}/revoke",
                                DeviceRevoked, params={"username": username})

    # --- services, questionnaires, call lists, calling rules -------------------------------

    def services(self) -> list[ServiceOut]:
        return self.api.request("GET", "/v1/admin/services", _Services).root

    def add_service(self, code: str, name: str, agency: str, questionnaire_id: str
                    ) -> ServiceOut:
        body = ServiceCreate(code=code.strip(), name=name.strip(), agency=agency.strip(),
                             questionnaire_id=questionnaire_id.strip() or "set")
        return self.api.request("POST", "/v1/admin/services", ServiceOut, data=_json(body))

    def change_service(self, code: str, *, name: str | None = None, agency: str | None = None,
                       questionnaire_id: str | None = None) -> ServiceOut:
        body = ServiceChange(name=name, agency=agency, questionnaire_id=questionnaire_id)
        return self.api.request("PATCH", f"/v1/admin/services/{_name(code)}", ServiceOut,
                                data=_json(body))

    def questionnaires(self) -> list[QuestionnaireOut]:
        return self.api.request("GET", "/v1/admin/questionnaires", _Questionnaires).root

    def batches(self) -> list[SampleBatchOut]:
        return self.api.request("GET", "/v1/samples/batches", _Batches).root

    def do_not_call(self) -> DoNotCallApi:
        """The do-not-call register: list, add and (admins only) remove with a reason."""
        return DoNotCallApi(self.api)

    def calling_rules(self) -> CallingRulesDoc:
        return self.api.request("GET", "/v1/admin/calling-rules", CallingRulesDoc)

    def replace_calling_rules(self, rules: dict[str, Any]) -> CallingRulesDoc:
        return self.api.request("PUT", "/v1/admin/calling-rules", CallingRulesDoc,
                                data=_json(CallingRulesUpdate(rules=rules)))


@dataclass(frozen=True)
class AuditQuery:
    """The audit viewer's filters; empty means "any"."""

    case_id: int | None = None
    user: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def params(self) -> dict[str, Any]:
        values = {"case_id": self.case_id, "user": self.user, "action": self.action,
                  "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None}
        return {k: v for k, v in values.items() if v not in (None, "")}


class AuditApi:
    """``GET /v1/audit``, for supervisors and admins."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def page(self, query: AuditQuery, *, limit: int = 200, offset: int = 0) -> AuditPage:
        return self.api.request("GET", "/v1/audit", AuditPage,
                                params={**query.params(), "limit": limit, "offset": offset})
