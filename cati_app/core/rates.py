"""AAPOR outcome rates from disposition counts, per DESIGN.md §3.2.

Formulas are those of the AAPOR Standard Definitions (10th edition), where UR (unknown
respondent) joins UH and UO in the unknown-eligibility term U = UH + UR + UO. They were checked
against the public R package ``outcomerate`` (ropensci/outcomerate, R/outcomerate.R, roxygen
docs; https://docs.ropensci.org/outcomerate), which uses the same formulas with U = UH + UO, and
against its README worked example (reproduced in DESIGN.md §3.2 and tests/core/test_rates.py).

Arithmetic is exact (``fractions.Fraction``; floats convert exactly), so the orderings between
rates (RR1 <= RR3 <= RR5, ...) and the invariance to scaling all counts hold without rounding
noise; results are converted to float once at the end. A rate whose denominator is zero is
None: the one "not computable" of the project, kept as None through the server's reports and
the export records to the workbook, whose cell is then left empty (issue 12).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

COUNT_KEYS: tuple[str, ...] = ("I", "P", "R", "NC", "O", "UH", "UR", "UO", "NE")
UNKNOWN_KEYS: tuple[str, ...] = ("UH", "UR", "UO")

# U = UH + UR + UO; eU = e*U, or eUH*UH + eUR*UR + eUO*UO with per-class e
RATE_FORMULAS: dict[str, str] = {
    "RR1": "I / ((I+P) + (R+NC+O) + U)",
    "RR2": "(I+P) / ((I+P) + (R+NC+O) + U)",
    "RR3": "I / ((I+P) + (R+NC+O) + eU)",
    "RR4": "(I+P) / ((I+P) + (R+NC+O) + eU)",
    "RR5": "I / ((I+P) + (R+NC+O))",
    "RR6": "(I+P) / ((I+P) + (R+NC+O))",
    "COOP1": "I / ((I+P) + R + O)",
    "COOP2": "(I+P) / ((I+P) + R + O)",
    "COOP3": "I / ((I+P) + R)",
    "COOP4": "(I+P) / ((I+P) + R)",
    "REF1": "R / ((I+P) + (R+NC+O) + U)",
    "REF2": "R / ((I+P) + (R+NC+O) + eU)",
    "REF3": "R / ((I+P) + (R+NC+O))",
    "CON1": "((I+P) + R + O) / ((I+P) + (R+NC+O) + U)",
    "CON2": "((I+P) + R + O) / ((I+P) + (R+NC+O) + eU)",
    "CON3": "((I+P) + R + O) / ((I+P) + (R+NC+O))",
}


def _exact(value: float, what: str) -> Fraction:
    # Fraction also takes Decimal (SQL SUM) and numpy numbers; str and bool are refused because
    # Fraction("3") and Fraction(True) would hide a caller's mistake
    problem = "must be a finite number"
    if not isinstance(value, bool | str):
        try:
            exact = Fraction(value)
        except (TypeError, ValueError, OverflowError):  # not a number, NaN, infinity
            pass
        else:
            if exact >= 0:
                return exact
            problem = "must not be negative"
    raise ValueError(f"{what} {problem}, got {value!r}")


def _checked(counts: Mapping[str, float]) -> dict[str, Fraction]:
    unknown = sorted(set(counts) - set(COUNT_KEYS))
    if unknown:
        raise ValueError(f"unknown count keys {unknown}; expected some of {', '.join(COUNT_KEYS)}")
    return {k: _exact(counts.get(k, 0), f"count {k}") for k in COUNT_KEYS}


def _ratio(num: Fraction, den: Fraction | None) -> float | None:
    # None: the denominator needs an e that could not be estimated
    return None if den is None or den == 0 else float(num / den)


def _proportional_e(c: Mapping[str, Fraction]) -> Fraction | None:
    eligible = c["I"] + c["P"] + c["R"] + c["NC"] + c["O"]
    known = eligible + c["NE"]
    return eligible / known if known else None


def eligibility_rate(counts: Mapping[str, float]) -> float | None:
    """Proportional estimate of e: (I+P+R+NC+O) / (I+P+R+NC+O+NE); None without such cases."""
    e = _proportional_e(_checked(counts))
    return None if e is None else float(e)


def _e_per_class(
    e: float | Mapping[str, float] | None, c: Mapping[str, Fraction]
) -> dict[str, Fraction | None]:
    """e for each unknown class; a class missing from a mapping gets the proportional estimate."""
    default = _proportional_e(c)
    if e is None:
        return dict.fromkeys(UNKNOWN_KEYS, default)
    if not isinstance(e, Mapping):
        return dict.fromkeys(UNKNOWN_KEYS, _e_value(e, "e"))
    unknown = sorted(set(e) - set(UNKNOWN_KEYS))
    if unknown:
        raise ValueError(f"unknown e classes {unknown}; expected some of UH, UR, UO")
    return {k: _e_value(e[k], f"e[{k}]") if k in e else default for k in UNKNOWN_KEYS}


def _e_value(value: float, what: str) -> Fraction:
    exact = _exact(value, what)
    if exact > 1:
        raise ValueError(f"{what} is a proportion and must be in [0, 1], got {value!r}")
    return exact


def _estimated_unknown(
    c: Mapping[str, Fraction], e: Mapping[str, Fraction | None]
) -> Fraction | None:
    """eUH*UH + eUR*UR + eUO*UO; None if a non-empty class has no e (not estimable)."""
    total = Fraction(0)
    for k in UNKNOWN_KEYS:
        if not c[k]:
            continue  # an empty class needs no e, even when e cannot be estimated
        share = e[k]
        if share is None:
            return None
        total += share * c[k]
    return total


def aapor_rates(
    counts: Mapping[str, float], e: float | Mapping[str, float] | None = None
) -> dict[str, float | None]:
    """RR1-RR6, COOP1-COOP4, REF1-REF3 and CON1-CON3 (see ``RATE_FORMULAS``).

    ``counts`` maps buckets (``COUNT_KEYS``; missing = 0) to non-negative case counts or
    weighted totals. ``e`` is the share of unknown-eligibility cases estimated eligible: None for
    the proportional estimate (``eligibility_rate``), one number in [0, 1], or a mapping with
    some of UH, UR, UO (classes left out use the proportional estimate). A rate with a zero
    denominator is None (not computable); so are RR3, RR4, REF2 and CON2 when unknown cases
    exist and e is left to be estimated from counts that have no case of known eligibility.
    """
    c = _checked(counts)
    e_unknown = _estimated_unknown(c, _e_per_class(e, c))
    interviews = c["I"] + c["P"]
    known_eligible = interviews + c["R"] + c["NC"] + c["O"]
    contacted = interviews + c["R"] + c["O"]
    with_u = known_eligible + c["UH"] + c["UR"] + c["UO"]
    with_eu = None if e_unknown is None else known_eligible + e_unknown
    return {
        "RR1": _ratio(c["I"], with_u),
        "RR2": _ratio(interviews, with_u),
        "RR3": _ratio(c["I"], with_eu),
        "RR4": _ratio(interviews, with_eu),
        "RR5": _ratio(c["I"], known_eligible),
        "RR6": _ratio(interviews, known_eligible),
        "COOP1": _ratio(c["I"], contacted),
        "COOP2": _ratio(interviews, contacted),
        "COOP3": _ratio(c["I"], interviews + c["R"]),
        "COOP4": _ratio(interviews, interviews + c["R"]),
        "REF1": _ratio(c["R"], with_u),
        "REF2": _ratio(c["R"], with_eu),
        "REF3": _ratio(c["R"], known_eligible),
        "CON1": _ratio(contacted, with_u),
        "CON2": _ratio(contacted, with_eu),
        "CON3": _ratio(contacted, known_eligible),
    }
