"""Admin routes (users, services, questionnaires, devices) and the questionnaire download
every logged-in user needs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query

from cati_app.core.protocol import Role
from cati_app.core.protocol_admin import LockedAccount, RoleChange, SkillsChange
from cati_app.core.questionnaire import Questionnaire
from cati_app.server.deps import Admin, Ctx, Staff
from cati_app.server.errors import NotFound, error_responses
from cati_app.server.models import Device, Service, User
from cati_app.server.schemas import (
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
from cati_app.server.services.accounts import admin, users
from cati_app.server.services.accounts.identity import CurrentUser
from cati_app.server.services.cases.supervision import Actor
from cati_app.server.services.catalogue import catalogue

ERRORS = error_responses(401, 403, 404, 409, 422)
router = APIRouter(prefix="/v1", responses=ERRORS)
Username = Annotated[str, Path(min_length=1, max_length=64)]


def _actor(ctx: Ctx, user: CurrentUser) -> Actor:
    return Actor(user_id=user.id, device_id=user.device_id, at=ctx.clock.now())


def _user_out(user: User) -> UserOut:
    return UserOut(id=user.id, username=user.username, full_name=user.full_name,
                   role=Role(user.role), active=user.active, created_at=user.created_at,
                   agency=user.agency, languages=list(user.languages or []),
                   skills=list(user.skills or []))


def _service_out(service: Service) -> ServiceOut:
    return ServiceOut(id=service.id, code=service.code, name=service.name,
                      agency=service.agency, questionnaire_id=service.questionnaire_id)


# --- users ---------------------------------------------------------------------------------


@router.get("/admin/users", response_model=list[UserOut], tags=["admin"])
def list_users(ctx: Ctx, _user: Admin) -> list[UserOut]:
    with ctx.transaction() as session:
        return [_user_out(u) for u in admin.list_users(session)]


@router.post("/admin/users", response_model=UserOut, status_code=201, tags=["admin"])
def create_user(body: UserCreate, ctx: Ctx, user: Admin) -> UserOut:
    with ctx.transaction() as session:
        created = users.create_user(session, ctx.hasher, username=body.username,
                                    password=body.password, role=body.role,
                                    full_name=body.full_name, at=ctx.clock.now(), by=user.id,
                                    agency=body.agency)
        return _user_out(created)


@router.post("/admin/users/{username}/deactivate", response_model=UserStatus, tags=["admin"])
def deactivate_user(username: Username, ctx: Ctx, user: Admin
                    ) -> UserStatus:
    """Revokes the account's tokens and returns the cases it held to the pool."""
    with ctx.transaction() as session:
        target, returned = admin.deactivate(session, _actor(ctx, user), username)
        return UserStatus(user=_user_out(target), cases_returned=returned)


@router.post("/admin/users/{username}/activate", response_model=UserStatus, tags=["admin"])
def activate_user(username: Username, ctx: Ctx, user: Admin
                  ) -> UserStatus:
    with ctx.transaction() as session:
        target = users.user_by_name(session, username)
        users.set_active(session, target, True, at=ctx.clock.now(), by=user.id)
        return UserStatus(user=_user_out(target))


@router.post("/admin/users/{username}/password", response_model=UserStatus, tags=["admin"])
def reset_password(username: Username, body: PasswordReset, ctx: Ctx, user: Admin) -> UserStatus:
    """Sets a new password and revokes the account's tokens: every device logs in again."""
    with ctx.transaction() as session:
        target = users.user_by_name(session, username)
        users.set_password(session, ctx.hasher, target, body.password, at=ctx.clock.now(),
                           by=user.id)
        return UserStatus(user=_user_out(target))


@router.post("/admin/users/{username}/role", response_model=UserStatus, tags=["admin"])
def change_role(username: Username, body: RoleChange, ctx: Ctx, user: Admin) -> UserStatus:
    """Give the account another role; its sessions end, so the person signs in again into
    the new role's workspace. Nobody changes their own role."""
    with ctx.transaction() as session:
        target = users.user_by_name(session, username)
        users.set_role(session, target, body.role, at=ctx.clock.now(), by=user.id)
        return UserStatus(user=_user_out(target))


@router.put("/admin/users/{username}/skills", response_model=UserStatus, tags=["admin"])
def set_skills(username: Username, body: SkillsChange, ctx: Ctx, user: Admin) -> UserStatus:
    """Replace the languages the account interviews in and its skills (issue 18): claims
    hand an enumerator only cases in their languages, and soft refusals due for conversion go
    to those with ``refusal_conversion`` (a supervisor-approved skill an admin records).
    Audited with the lists before and after."""
    with ctx.transaction() as session:
        target = users.user_by_name(session, username)
        users.set_skills(session, target, languages=body.languages, skills=body.skills,
                         at=ctx.clock.now(), by=user.id)
        return UserStatus(user=_user_out(target))


@router.get("/admin/locked-accounts", response_model=list[LockedAccount], tags=["admin"])
def locked_accounts(ctx: Ctx, _user: Admin) -> list[LockedAccount]:
    """Accounts refused for failed logins right now, and until when at the latest
    (``POST /v1/admin/users/{username}/unlock`` ends a lock at once)."""
    with ctx.read() as session:
        locks = users.locked_accounts(session, now=ctx.clock.now(),
                                      window=ctx.settings.login_window,
                                      limit=ctx.settings.login_failures_per_account)
        return [LockedAccount(username=lock.username, failed_logins=lock.failed_logins,
                              locked_until=lock.locked_until) for lock in locks]


@router.post("/admin/users/{username}/unlock", response_model=UserUnlocked, tags=["admin"])
def unlock_user(username: Username, ctx: Ctx, user: Admin) -> UserUnlocked:
    """Ends a lock from failed logins at once (instead of waiting for the window to pass)."""
    with ctx.transaction() as session:
        target = users.user_by_name(session, username)
        forgotten = users.unlock(session, target, at=ctx.clock.now(), by=user.id)
        return UserUnlocked(user=_user_out(target), failed_logins_forgotten=forgotten)


def _device_out(device: Device, username: str) -> DeviceOut:
    status: Literal["waiting", "approved", "revoked"] = (
        "revoked" if device.revoked_at is not None
        else "waiting" if device.approved_at is None else "approved")
    return DeviceOut(device_id=device.device_id, username=username,
                     first_seen=device.first_seen, last_seen=device.last_seen,
                     approved_at=device.approved_at, revoked_at=device.revoked_at,
                     status=status)


@router.get("/admin/devices", response_model=list[DeviceOut], tags=["admin"])
def list_devices(ctx: Ctx, _user: Admin) -> list[DeviceOut]:
    """Every account's devices, newest first: a new device id (one that dodges a
    revocation, say) shows up here with its first and last login."""
    with ctx.transaction() as session:
        return [_device_out(device, name) for device, name in users.list_devices(session)]


DeviceId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("/admin/devices/{device_id}/approve", response_model=DeviceOut, tags=["admin"])
def approve_device(device_id: DeviceId, ctx: Ctx, user: Admin,
                   username: Annotated[str, Query(min_length=1, max_length=64,
                                                  description="whose device")]) -> DeviceOut:
    """Lets a device waiting for approval in (``CATI_REQUIRE_DEVICE_APPROVAL``); the person
    logs in again. A revoked device cannot be approved."""
    with ctx.transaction() as session:
        device = users.approve_device(session, device_id=device_id, username=username,
                                      at=ctx.clock.now(), by=user.id)
        return _device_out(device, username)


@router.post("/admin/devices/{device_id}/revoke", response_model=DeviceRevoked, tags=["admin"])
def revoke_device(
    device_id: Annotated[str, Path(min_length=1, max_length=64)], ctx: Ctx,
    user: Admin,
    username: Annotated[str | None, Query(
        max_length=64, description="only this user's registration of the device")] = None,
) -> DeviceRevoked:
    with ctx.transaction() as session:
        at = ctx.clock.now()
        revoked = users.revoke_device(session, device_id=device_id, username=username, at=at,
                                      by=user.id)
        return DeviceRevoked(device_id=device_id, revoked=revoked, at=at)


# --- services and questionnaires -----------------------------------------------------------


@router.get("/admin/services", response_model=list[ServiceOut], tags=["admin"])
def list_services(ctx: Ctx, _user: Admin) -> list[ServiceOut]:
    with ctx.transaction() as session:
        return [_service_out(s) for s in admin.list_services(session)]


@router.post("/admin/services", response_model=ServiceOut, status_code=201, tags=["admin"])
def add_service(body: ServiceCreate, ctx: Ctx, user: Admin
                ) -> ServiceOut:
    with ctx.transaction() as session:
        service = catalogue.add_service(session, code=body.code, name=body.name,
                                        agency=body.agency, questionnaire_id=body.questionnaire_id,
                                        at=ctx.clock.now(), by=user.id)
        return _service_out(service)


@router.patch("/admin/services/{code}", response_model=ServiceOut, tags=["admin"])
def change_service(code: Annotated[str, Path(min_length=1, max_length=32)], body: ServiceChange,
                   ctx: Ctx, user: Admin) -> ServiceOut:
    """Rename a service, change its agency or the questionnaire its calls use (one the server
    has: see GET /v1/admin/questionnaires)."""
    with ctx.transaction() as session:
        service = catalogue.change_service(session, code, name=body.name, agency=body.agency,
                                           questionnaire_id=body.questionnaire_id,
                                           at=ctx.clock.now(), by=user.id)
        return _service_out(service)


@router.get("/admin/questionnaires", response_model=list[QuestionnaireOut], tags=["admin"])
def list_questionnaires(ctx: Ctx, _user: Admin) -> list[QuestionnaireOut]:
    with ctx.transaction() as session:
        return [QuestionnaireOut(questionnaire_id=qid, version=version, created_at=created)
                for qid, version, created in catalogue.questionnaire_versions(session)]


@router.post("/admin/questionnaires", response_model=QuestionnaireOut, status_code=201,
             tags=["admin"])
def add_questionnaire(definition: Annotated[dict[str, Any], Body()], ctx: Ctx,
                      user: Admin) -> QuestionnaireOut:
    """Upload a new version (the JSON definition). Every enumerator is told it is
    available; interviews in progress finish on the version they started."""
    with ctx.transaction() as session:
        row = catalogue.add_questionnaire_version(session, definition, at=ctx.clock.now(),
                                                  by=user.id)
        return QuestionnaireOut(questionnaire_id=row.qid, version=row.version,
                                created_at=row.created_at)


@router.get("/questionnaires/{qid}/{version}", response_model=Questionnaire,
            tags=["questionnaires"])
def questionnaire(qid: Annotated[str, Path(max_length=64)], version: int,
                  ctx: Ctx, _user: Staff) -> Questionnaire:
    """The script definition of one version, for every logged-in user but agency accounts."""
    with ctx.transaction() as session:
        found = catalogue.questionnaire(session, qid, version)
        if found is None:
            raise NotFound(f"no questionnaire {qid!r} version {version}")
        return found
