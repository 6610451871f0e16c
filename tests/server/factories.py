"""Kept so imports of ``tests.server.factories`` keep working: the factories live in
tests/support/factories.py (import them from there)."""

from tests.support.factories import (  # noqa: F401 - re-exported
    COMPLETE_ANSWERS,
    assign_via_api,
    attempt_item,
    claim_body,
    interview_item,
    load_case,
    push_body,
    seed_cases,
    seed_service,
)
