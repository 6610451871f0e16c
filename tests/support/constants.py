"""Values many test folders agree on: the test password, the fixed clock, the repository root."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
#: a Tuesday, 10:00 in Thimphu: inside the calling window
TUESDAY_10AM = datetime(2026, 6, 2, 4, 0, tzinfo=UTC)
#: cheap password hashing for tests; the hash string carries its own cost, so both the seeding
#: process and the server verify it
FAST_HASHING = {"CATI_ARGON2_TIME_COST": "1", "CATI_ARGON2_MEMORY_KIB": "64"}
