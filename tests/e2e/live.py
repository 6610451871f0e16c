"""Kept so imports of ``tests.e2e.live`` keep working: the server subprocess lives in
tests/support/server_process.py (import it from there)."""

from tests.support.constants import FAST_HASHING, PASSWORD, ROOT  # noqa: F401 - re-exported
from tests.support.pg import postgres_schema  # noqa: F401 - re-exported
from tests.support.server_process import (  # noqa: F401 - re-exported
    ENUMERATOR,
    HARNESS_LIMITS,
    OTHER_ENUMERATOR,
    SERVICE,
    SUPERVISOR,
    LiveServer,
    free_port,
    running_server,
)
