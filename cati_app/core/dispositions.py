"""Final disposition of a case from its call attempts, per DESIGN.md §3.2.

Priority (highest first), most recent attempt winning within a level:
complete (I) > partial (P) > refusal or break-off (R) > other eligible (O) > non-contact with
eligibility confirmed (NC) > not eligible (NE) > unknown (UR/UO) > unknown number (UH).
Because every eligible level outranks NE and the unknowns, "eligible if ever eligible" follows
from the priority alone: a case once reached keeps an eligible code.

Accepted codes: every code of the outcome catalogue (``BUCKET_OF_CODE``) and, for dispositions a
supervisor imports from other systems, the general AAPOR families:

====================  ======  =====================================================
family                bucket  note
====================  ======  =====================================================
1.1, 1.1x             I       complete
1.2, 1.2x             P       partial
2.1x                  R       refusal and break-off (2.10, 2.111, 2.12, ...)
2.2x                  NC      non-contact
2.3x                  O       other eligible
3.1x                  UH      unknown if the number reaches anyone
3.2x, 3.9x            UO      unknown other (3.90 "other" is included on purpose)
4.x                   NE      not eligible
====================  ======  =====================================================

Anything else (1.0, 2.9x, 3.3x, 5.x, text) is rejected, so a typo cannot silently land in a
bucket. No code maps to UR: the catalogue has no such outcome and AAPOR numbers it differently
by mode, so UR reaches the rates only through counts given directly to ``aapor_rates``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from cati_app.core.outcomes import BUCKET_OF_CODE, Bucket, outcome

#: higher wins; UR and UO share a level, so the most recent of the two wins
_LEVEL: dict[Bucket, int] = {
    Bucket.I: 7,
    Bucket.P: 6,
    Bucket.R: 5,
    Bucket.O: 4,
    Bucket.NC: 3,
    Bucket.NE: 2,
    Bucket.UR: 1,
    Bucket.UO: 1,
    Bucket.UH: 0,
}

_CODE = re.compile(r"([1-4])\.(\d+)")

#: (major digit, first minor digit) -> bucket; "" stands for "any minor digit"
_FAMILIES: dict[tuple[str, str], Bucket] = {
    ("1", "1"): Bucket.I,
    ("1", "2"): Bucket.P,
    ("2", "1"): Bucket.R,
    ("2", "2"): Bucket.NC,
    ("2", "3"): Bucket.O,
    ("3", "1"): Bucket.UH,
    ("3", "2"): Bucket.UO,
    ("3", "9"): Bucket.UO,
    ("4", ""): Bucket.NE,
}


def bucket_of(code: str) -> Bucket:
    """The rate bucket of an AAPOR code; ValueError naming the code if it is not accepted."""
    if code in BUCKET_OF_CODE:
        return BUCKET_OF_CODE[code]
    match = _CODE.fullmatch(code) if isinstance(code, str) else None
    if match:
        major, minor = match.groups()
        bucket = _FAMILIES.get((major, minor[0])) or _FAMILIES.get((major, ""))
        if bucket is not None:
            return bucket
    raise ValueError(
        f"unknown AAPOR code {code!r}; expected a catalogue code or one of the families "
        "1.1x, 1.2x, 2.1x, 2.2x, 2.3x, 3.1x, 3.2x, 3.9x, 4.x"
    )


def _most_important(items: Iterable[str], bucket: Callable[[str], Bucket], what: str) -> str:
    best: str | None = None
    best_level = -1
    for item in items:
        level = _LEVEL[bucket(item)]  # evaluated for every item so any bad one is reported
        if level >= best_level:  # >=: a later attempt replaces an earlier one of equal level
            best, best_level = item, level
    if best is None:
        raise ValueError(
            f"a case needs at least one attempt to have a final disposition; got no {what}"
        )
    return best


def final_disposition(codes: Iterable[str]) -> str:
    """AAPOR codes of a case's attempts, oldest first -> the AAPOR code of its final disposition.

    >>> final_disposition(["3.13", "2.112", "3.13"])
    '2.112'
    """
    return _most_important(codes, bucket_of, "AAPOR codes")


def final_disposition_keys(outcome_keys: Iterable[str]) -> str:
    """Like ``final_disposition`` but on outcome keys, returning the key.

    Needed because keys sharing a code (soft and hard refusal, 2.112) must stay apart.
    Unknown keys raise ``UnknownOutcome`` (a ValueError).
    """
    return _most_important(outcome_keys, lambda key: outcome(key).bucket, "outcome keys")


def disposition_counts(codes_per_case: Iterable[str]) -> dict[str, int]:
    """Final AAPOR codes, one per case -> number of cases per bucket, every bucket present."""
    counts = {bucket.value: 0 for bucket in Bucket}
    for code in codes_per_case:
        counts[bucket_of(code).value] += 1
    return counts
