"""The calling rules in force (DESIGN.md §3.3): an admin changes them, the server plans with
them at once and every desktop receives them at its next sync (GET /v1/sync/hello), without
reinstalling anything.

Until an admin stores rules, the server uses those of its settings (CATI_CALLING_RULES_JSON,
else the built-in defaults) as version 0. A change applies to every plan made after it (the
next call of each case is computed again when its next call arrives); a case's next call
already planned is not moved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cati_app.core.protocol import CallingRulesDoc
from cati_app.core.scheduling import CallingRules
from cati_app.server.audit import audit
from cati_app.server.context import AppContext
from cati_app.server.errors import Unprocessable
from cati_app.server.models import StoredCallingRules
from cati_app.server.services.cases.supervision import Actor


def current(ctx: AppContext) -> CallingRulesDoc:
    return CallingRulesDoc.from_rules(ctx.rules, ctx.rules_version)


def replace(session: Session, actor: Actor, rules: dict[str, Any]) -> CallingRulesDoc:
    """Store an admin's rules as the next version, audited; 422 naming the bad key. The
    caller hands them to AppContext.use_rules once committed."""
    try:
        parsed = CallingRules.from_dict(rules)
    except ValueError as exc:
        raise Unprocessable(f"calling rules: {exc}") from None
    row = session.get(StoredCallingRules, 1, with_for_update=True)
    if row is None:
        row = StoredCallingRules(id=1, version=0, rules={}, updated_at=actor.at)
        session.add(row)
    row.version += 1
    row.rules, row.updated_at, row.updated_by = parsed.to_dict(), actor.at, actor.user_id
    audit(session, at=actor.at, user_id=actor.user_id, device_id=actor.device_id,
          action="calling_rules.update", entity="calling_rules", entity_id=row.version,
          details={"rules": row.rules})
    session.flush()
    return CallingRulesDoc.from_rules(parsed, row.version)
