"""Respondents' languages and enumerators' skills (issue 18).

Bhutan's service users speak Dzongkha, Tshangla (Sharchop), Lhotshamkha (Nepali) and English.
Codes are ISO 639 (Tshangla has only a 639-3 code). ``ANY`` marks a case whose language is not
known: any enumerator may take it.
"""

from __future__ import annotations

from typing import Final

ANY: Final = "any"

LANGUAGES: Final = {
    "dz": "Dzongkha",
    "tsj": "Tshangla (Sharchop)",
    "ne": "Lhotshamkha (Nepali)",
    "en": "English",
}

REFUSAL_CONVERSION: Final = "refusal_conversion"
SKILLS: Final = {REFUSAL_CONVERSION: "Refusal conversion"}
