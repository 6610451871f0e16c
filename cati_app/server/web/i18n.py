"""English and Dzongkha labels of the web scorecard.

The English text is the key; ``locale/dz.json`` gives the Dzongkha (a plain catalogue a
translator can edit; a missing entry falls back to English). Numbers, codes and names from
the data are not translated."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

LANGUAGES = {"en": "English", "dz": "རྫོང་ཁ"}
DEFAULT = "en"
_LOCALE = Path(__file__).parent / "locale"


@cache
def catalogue(language: str) -> dict[str, str]:
    if language == DEFAULT:
        return {}
    entries = json.loads((_LOCALE / f"{language}.json").read_text(encoding="utf-8"))
    return {k: v for k, v in entries.items() if not k.startswith("_")}


def language_or_default(code: str | None) -> str:
    return code if code in LANGUAGES else DEFAULT


def translator(language: str) -> Callable[[str], str]:
    entries = catalogue(language_or_default(language))
    return lambda text: entries.get(text, text)
