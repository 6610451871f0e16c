"""Services and questionnaire versions: what can be called about, and with which script."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cati_app.core.protocol import ChangeType, QuestionnaireAvailableBody, Role
from cati_app.core.questionnaire import (
    Questionnaire,
    QuestionnaireError,
    default_questionnaire,
    load_questionnaire,
)
from cati_app.server.audit import audit
from cati_app.server.errors import Conflict, NotFound, Unprocessable
from cati_app.server.feed import append_change
from cati_app.server.models import QuestionnaireVersion, Service, User


def add_service(session: Session, *, code: str, name: str, agency: str = "",
                questionnaire_id: str = "set", at: datetime, by: int | None) -> Service:
    code = code.strip().upper()
    if not code or not name.strip():
        raise Unprocessable("a service needs a code and a name")
    if session.scalar(select(Service.id).where(Service.code == code)) is not None:
        raise Conflict(f"the service code {code!r} exists already")
    questionnaire_id = _known_questionnaire(session, questionnaire_id)
    service = Service(code=code, name=name.strip(), agency=agency.strip(),
                      questionnaire_id=questionnaire_id)
    session.add(service)
    session.flush()
    audit(session, at=at, user_id=by, action="service.create", entity="service",
          entity_id=service.id, details={"code": code})
    return service


def change_service(session: Session, code: str, *, name: str | None = None,
                   agency: str | None = None, questionnaire_id: str | None = None,
                   at: datetime, by: int | None) -> Service:
    service = service_by_code(session, code)
    before = {"name": service.name, "agency": service.agency,
              "questionnaire_id": service.questionnaire_id}
    if name is not None:
        if not name.strip():
            raise Unprocessable("a service needs a name")
        service.name = name.strip()
    if agency is not None:
        service.agency = agency.strip()
    if questionnaire_id is not None:
        service.questionnaire_id = _known_questionnaire(session, questionnaire_id)
    after = {"name": service.name, "agency": service.agency,
             "questionnaire_id": service.questionnaire_id}
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changed:
        audit(session, at=at, user_id=by, action="service.change", entity="service",
              entity_id=service.id, details={"code": service.code, "changed": changed})
    return service


def _known_questionnaire(session: Session, qid: str) -> str:
    """The questionnaire a service's calls will use must exist, or every claim of its cases
    would answer 404 in the field. The shipped default (``set``) counts as existing even
    before it is loaded: ``cati-server init`` loads it, and so does the demo."""
    qid = qid.strip()
    if qid == default_questionnaire().id:
        return qid
    if session.scalar(select(QuestionnaireVersion.id)
                      .where(QuestionnaireVersion.qid == qid).limit(1)) is None:
        known = sorted(set(session.scalars(select(QuestionnaireVersion.qid))))
        raise Unprocessable(
            f"there is no questionnaire {qid!r}: upload it first, or use one of "
            f"{', '.join(repr(k) for k in known) or 'none loaded yet'}",
            fields=[{"loc": ["body", "questionnaire_id"], "msg": "no such questionnaire"}])
    return qid


def service_by_code(session: Session, code: str) -> Service:
    service = session.scalar(select(Service).where(Service.code == code.strip().upper()))
    if service is None:
        raise NotFound(f"no service with code {code!r}: add it first (cati-server add-service)")
    return service


def add_questionnaire_version(session: Session, definition: dict[str, Any], *, at: datetime,
                              by: int | None) -> QuestionnaireVersion:
    """Validate and store a new version, then tell every enumerator it is available.
    Interviews in progress finish on the version they started (the client keeps both)."""
    try:
        questionnaire = load_questionnaire(definition)
    except QuestionnaireError as exc:
        raise Unprocessable("the questionnaire has problems: " + "; ".join(exc.problems),
                            fields=[{"msg": p} for p in exc.problems]) from None
    exists = session.scalar(select(QuestionnaireVersion.id).where(
        QuestionnaireVersion.qid == questionnaire.id,
        QuestionnaireVersion.version == questionnaire.version))
    if exists is not None:
        raise Conflict(f"questionnaire {questionnaire.id} version {questionnaire.version} "
                       "exists already: raise the version number")
    row = QuestionnaireVersion(qid=questionnaire.id, version=questionnaire.version,
                               definition=questionnaire.model_dump(mode="json"), created_at=at)
    session.add(row)
    session.flush()
    for user_id in session.scalars(select(User.id).where(User.role == Role.enumerator.value,
                                                         User.active.is_(True))):
        append_change(session, user_id=user_id, type=ChangeType.questionnaire_available, at=at,
                      body=QuestionnaireAvailableBody(questionnaire_id=row.qid,
                                                      version=row.version))
    audit(session, at=at, user_id=by, action="questionnaire.add", entity="questionnaire",
          entity_id=row.id, details={"qid": row.qid, "version": row.version})
    return row


def latest_questionnaire(session: Session, qid: str) -> QuestionnaireVersion:
    row = session.scalar(select(QuestionnaireVersion).where(QuestionnaireVersion.qid == qid)
                         .order_by(QuestionnaireVersion.version.desc()).limit(1))
    if row is None:
        raise NotFound(f"no questionnaire {qid!r} is loaded: run cati-server init or demo")
    return row


def questionnaire(session: Session, qid: str, version: int) -> Questionnaire | None:
    """The parsed definition of one version, or None when the server has never seen it."""
    definition = session.scalar(select(QuestionnaireVersion.definition).where(
        QuestionnaireVersion.qid == qid, QuestionnaireVersion.version == version))
    return None if definition is None else load_questionnaire(definition)


def questionnaire_versions(session: Session) -> list[tuple[str, int, datetime]]:
    return list(session.execute(
        select(QuestionnaireVersion.qid, QuestionnaireVersion.version,
               QuestionnaireVersion.created_at)
        .order_by(QuestionnaireVersion.qid, QuestionnaireVersion.version)).all())


def count_services(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Service)) or 0
