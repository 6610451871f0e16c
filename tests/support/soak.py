"""CI sizes and soak sizes. ``CATI_SOAK`` (set by ``./tasks soak``) runs the long scenarios at
their full size; CI runs smaller ones that assert the same things (docs/reliability.md lists
both). Imports nothing of the app, so client-side child processes may use it."""

from __future__ import annotations

import os


def soak() -> str:
    """The CATI_SOAK value: empty in an ordinary run."""
    return os.environ.get("CATI_SOAK", "")


def scaled(ci, full):  # type: ignore[no-untyped-def]
    """``ci`` in an ordinary run, ``full`` in a soak run."""
    return full if soak() else ci


def kills(ci: int, default_soak: int) -> int:
    """How many kills: ``ci`` normally; CATI_SOAK=<n> runs n (``default_soak`` if not a
    number above 1)."""
    value = soak()
    if not value:
        return ci
    return int(value) if value.isdigit() and int(value) > 1 else default_soak
