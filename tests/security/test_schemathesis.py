"""schemathesis against the real server on a loopback port: every operation of the OpenAPI
document, with generated valid and invalid inputs, authenticated with a real token of a role
the operation serves. No 5xx; every response matches the documented schema and content type.

CI runs 6 examples per operation and generation mode; CATI_SOAK=1 (``./tasks soak``) runs
300. (The
schemathesis pytest plugin does not run on pytest 9, so the operations are driven here with
their hypothesis strategies.)"""

from __future__ import annotations

import contextlib

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from cati_app.core.protocol import Role
from tests.support.factories import seed_cases, seed_service
from tests.support.soak import scaled, soak

SOAK = bool(soak())
EXAMPLES = scaled(6, 300)
#: tags served to enumerators (queue, push, pull); every other operation is fuzzed as an admin,
#: the one role that may call all of them
ENUMERATOR_TAGS = {"queue", "sync"}
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _role_for(operation: schemathesis.APIOperation) -> Role:
    return Role.enumerator if set(operation.tags or ()) & ENUMERATOR_TAGS else Role.admin


def _without_auth(generated: dict[str, str] | None) -> dict[str, str]:
    """The generated headers less any Authorization (the real token goes in instead)."""
    return {k: v for k, v in (generated or {}).items() if k.lower() != "authorization"}


def _fuzz(operation: schemathesis.APIOperation, base_url: str, headers: dict[str, str],
          session: requests.Session, mode: GenerationMode) -> list[str]:
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not SOAK, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        try:
            case.call_and_validate(base_url=base_url, session=session,
                                   headers={**_without_auth(case.headers), **headers},
                                   checks=CHECKS, timeout=30)
        except Exception as exc:  # noqa: BLE001 - collected: report every operation at once
            failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:1500]}")
            raise

    with contextlib.suppress(Exception):  # the failure text is already collected
        run()
    return failures[-1:]


def test_no_server_errors_and_responses_match_the_schema(app, ctx, live_server, make_user,
                                                         login) -> None:
    make_user("fuzz-admin", Role.admin)
    make_user("fuzz-enum", Role.enumerator)
    seed_cases(ctx, seed_service(ctx), 20)
    tokens = {Role.admin: login("fuzz-admin"), Role.enumerator: login("fuzz-enum")}
    schema = schemathesis.openapi.from_dict(app.openapi())
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25  # the whole document, not an empty parse
    with requests.Session() as session:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += _fuzz(operation, live_server.url, tokens[_role_for(operation)],
                                  session, mode)
    assert not failures, "\n\n".join(failures)
