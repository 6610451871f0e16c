"""Phone numbers of the list sample: normalise to E.164, explain rejections, show for reading.

DESIGN.md §3.4. Numbers come from agency transaction records typed by hand and from
spreadsheets, so we accept the spellings people actually use (``+975``, ``00975``, ``975``
without a plus, a bare national number, a trunk ``0`` as in ``02 323 456``, spaces, dashes,
dots, brackets, ``17123456.0`` from a numeric cell) and reject everything else with a reason a
supervisor can act on.

Why not just ``phonenumbers.parse``: it silently turns letters into digits (``1-800-ABC``),
reads a trailing ``x`` as an extension, keeps a ``0`` trunk prefix Bhutan does not use, and
is several times slower than building the number ourselves. The import benchmark parses
100,000 numbers, so the common path cleans the text with ``str.translate`` and asks
``phonenumbers`` only whether the national number is in a valid range (metadata lookups,
no parsing). ``phonenumbers.parse`` and the geocoder run only on the rare rejection paths.

Reasons never contain the number itself: they end up in logs and import reports, and phone
numbers must not appear in logs (DESIGN.md §5). The report row identifies the number.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType

DEFAULT_REGION = "BT"

# Characters people put between digit groups; removed before anything else looks at the text.
_SEPARATORS = str.maketrans("", "", " \t\r\n\u00a0\u2009\u202f-\u2010\u2011\u2013\u2014.()")
_DIGITS = re.compile(r"\+?\d+")
# Several numbers in one cell: "17123456 / 77123456", "17123456, 77123456".
_MULTIPLE = re.compile(r"\d\s*[/,;|]\s*\+?\d")
# A numeric spreadsheet cell read as text: "17123456.0"
_FLOAT_TEXT = re.compile(r"(\+?\d+)\.0+")
# Scientific notation Excel shows for long numbers: "1.7123456E+7"
_SCIENTIFIC = re.compile(r"\d+(?:\.\d+)?[eE]\+?\d+")

_COUNTRY_ADJECTIVE = {"BT": "Bhutanese"}
_RANGE_HINT = {
    "BT": "mobiles have 8 digits starting 16, 17 or 77; landlines have 7 digits starting "
    "with an area code such as 2 (Thimphu)",
}


class InvalidPhoneNumber(ValueError):
    """A number we cannot call. ``reason`` is a sentence for the person fixing the list;
    ``code`` is one of empty, junk, multiple, too_short, too_long, foreign, invalid_range."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def normalize(raw: object, region: str = DEFAULT_REGION) -> str:
    """The E.164 form (``+97517123456``) of a number written any usual way.

    Accepts str, int and float (a spreadsheet cell). Only numbers of ``region`` are
    accepted: the sample lists service users of that country's agencies. Raises
    InvalidPhoneNumber with an actionable ``reason``.
    """
    digits = _clean(_as_text(raw))
    country_code = _country_code(region)
    national = _national_part(digits, region, country_code)
    _check_length(national, digits, region)
    number = PhoneNumber(country_code=country_code, national_number=int(national))
    if national.startswith("0") or not phonenumbers.is_valid_number_for_region(number, region):
        raise InvalidPhoneNumber(
            "invalid_range",
            f"not in a valid {_adjective(region)} number range: "
            f"{_RANGE_HINT.get(region, 'check the digits')}",
        )
    return f"+{country_code}{national}"


def format_for_reading(e164: str) -> str:
    """Digits grouped for reading aloud: ``+975 17 12 34 56`` (mobile, in pairs),
    ``+975 2 323 456`` (landline: area code, then threes). Anything that is not a number is
    returned unchanged: this is display code and must not break a screen."""
    national = e164[4:] if e164.startswith("+975") and e164.isascii() else ""
    if national.isdigit() and len(national) == 8:
        return f"+975 {national[:2]} {national[2:4]} {national[4:6]} {national[6:]}"
    if national.isdigit() and len(national) == 7:
        return f"+975 {national[0]} {national[1:4]} {national[4:]}"
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def is_mobile(e164: str) -> bool:
    """True for a valid mobile number (the calling rules treat mobiles and landlines alike,
    but SMS and reading format differ)."""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return False
    kind = phonenumbers.number_type(number)
    return kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


# --- cleaning -------------------------------------------------------------------------------


def _as_text(raw: object) -> str:
    """Text of a cell value; numeric cells lose their ``.0`` (openpyxl gives floats)."""
    if raw is None:
        return ""
    if isinstance(raw, bool):  # bool is an int: True must not become the number "1"
        raise InvalidPhoneNumber("junk", "a yes/no value is not a phone number")
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if math.isnan(raw):
            return ""
        if not raw.is_integer():
            raise InvalidPhoneNumber("junk", "not a whole number; format the column as text")
        return str(int(raw))
    return str(raw).strip()


def _clean(text: str) -> str:
    """Only digits, optionally led by ``+``; raises for empty, junk and several numbers."""
    if not text:
        raise InvalidPhoneNumber("empty", "no phone number given")
    if _MULTIPLE.search(text):
        raise InvalidPhoneNumber(
            "multiple", "contains more than one number; put each number in its own column"
        )
    if _SCIENTIFIC.fullmatch(text):
        return _from_scientific(text)
    float_text = _FLOAT_TEXT.fullmatch(text)
    if float_text:
        return float_text.group(1)
    digits = text.translate(_SEPARATORS)
    if _DIGITS.fullmatch(digits):
        # \d also matches Tibetan (Dzongkha) and other digits; store ASCII only
        return digits if digits.isascii() else _ascii_digits(digits)
    if not digits:
        raise InvalidPhoneNumber("empty", "no phone number given")
    bad = sorted({c for c in digits if not c.isdigit()} - {"+"}) or ["+"]
    raise InvalidPhoneNumber(
        "junk",
        "contains characters that are not part of a phone number: "
        + " ".join(repr(c) for c in bad[:5]),
    )


def _ascii_digits(digits: str) -> str:
    return "".join(c if c == "+" else str(int(c)) for c in digits)


def _from_scientific(text: str) -> str:
    """``1.7123456E+7`` is exact; ``1.71234E+7`` is Excel's rounded display of some
    171234xx: fewer written digits than the number has means digits were lost."""
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise InvalidPhoneNumber("junk", "not a phone number") from None
    written = len(text.upper().split("E")[0].replace(".", "").lstrip("0"))
    if value != value.to_integral_value() or written < len(str(int(value))):
        raise InvalidPhoneNumber(
            "junk",
            "the spreadsheet stored this number in scientific notation and lost digits; "
            "format the phone column as text and import again",
        )
    return str(int(value))


# --- country and length ---------------------------------------------------------------------


@lru_cache(maxsize=32)
def _country_code(region: str) -> int:
    code = phonenumbers.country_code_for_region(region)
    if not code:
        raise ValueError(f"unknown region {region!r}")
    return code


@lru_cache(maxsize=32)
def _lengths(region: str) -> tuple[int, int]:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    lengths = metadata.general_desc.possible_length if metadata and metadata.general_desc else ()
    if not lengths:
        raise ValueError(f"no numbering plan for region {region!r}")
    return min(lengths), max(lengths)


def _national_part(digits: str, region: str, country_code: int) -> str:
    """The national significant number, or InvalidPhoneNumber("foreign") for another country.

    ``975`` without a plus counts as the country code only when what follows has a possible
    national length: Bhutanese national numbers never start with 9, so this is unambiguous.
    """
    cc = str(country_code)
    if digits.startswith("+"):
        international = digits[1:]
    elif digits.startswith("00"):
        international = digits[2:]
    elif digits.startswith(cc) and _possible_length(len(digits) - len(cc), region):
        international = digits
    else:
        return _drop_trunk_zero(digits)
    if not international.startswith(cc):  # country codes are prefix-free, so this is exact
        raise _foreign(international, region)
    return _drop_trunk_zero(international[len(cc):])


def _drop_trunk_zero(national: str) -> str:
    # "02 323 456", "+975 (0)17 ..." : Bhutan has no trunk prefix, but people still write one.
    return national[1:] if national.startswith("0") else national


def _possible_length(length: int, region: str) -> bool:
    shortest, longest = _lengths(region)
    return shortest <= length <= longest


def _check_length(national: str, digits: str, region: str) -> None:
    shortest, longest = _lengths(region)
    count = len(national)
    if count < shortest:
        hint = _RANGE_HINT.get(region, f"at least {shortest} digits are needed")
        if region == "BT" and count == 6 and not national.startswith("1"):
            # a local landline number as dialled within its area, without the area code
            hint = "a landline needs its area code in front, e.g. 2 for Thimphu; " + hint
        raise InvalidPhoneNumber(
            "too_short", f"too short for a {_adjective(region)} number ({count} digits): {hint}"
        )
    if count > longest:
        if not digits.startswith(("+", "00")):
            _raise_if_foreign(digits, region)
        hint = _RANGE_HINT.get(region, f"at most {longest} digits are expected")
        raise InvalidPhoneNumber(
            "too_long", f"too long for a {_adjective(region)} number ({count} digits): {hint}"
        )


def _raise_if_foreign(digits: str, region: str) -> None:
    """A long number without ``+`` may be a foreign number written without it (``9198...``)."""
    try:
        number = phonenumbers.parse("+" + digits, None)
    except NumberParseException:
        return
    if phonenumbers.is_valid_number(number):
        raise _foreign(digits, region)


def _foreign(international: str, region: str) -> InvalidPhoneNumber:
    """The rejection for a number of another country, naming the country when we can."""
    only = f"only {_adjective(region)} numbers can be called for this sample"
    try:
        number = phonenumbers.parse("+" + international, None)
    except NumberParseException:
        return InvalidPhoneNumber(
            "foreign",
            f"not a {_adjective(region)} number, and no country uses the code it starts "
            f"with; check the digits ({only})",
        )
    from phonenumbers import geocoder  # imported here: large data, needed only on this path

    name = geocoder.country_name_for_number(number, "en")
    looks_like = f"{name} (+{number.country_code})" if name else f"+{number.country_code}"
    return InvalidPhoneNumber(
        "foreign", f"not a {_adjective(region)} number: it looks like {looks_like}; {only}"
    )


def _adjective(region: str) -> str:
    return _COUNTRY_ADJECTIVE.get(region, region)


MASK = "•"


def masked_for_display(e164: str) -> str:
    """The number as a supervisor's tables show it: grouped like ``format_for_reading``, the
    country code and the last two digits kept and every other digit hidden
    (``+975 •• •• •• 56``). Enough to tell two numbers of a case apart, not to call one."""
    shown = format_for_reading(e164)
    prefix, _, rest = shown.partition(" ") if shown.startswith("+") else ("", "", shown)
    keep = 2
    masked = []
    for char in reversed(rest):
        if char.isdigit():
            masked.append(char if keep > 0 else MASK)
            keep -= 1
        else:
            masked.append(char)
    return (f"{prefix} " if prefix else "") + "".join(reversed(masked))


#: how many mask characters stand for the hidden digits, whatever their number: the mask
#: does not tell a landline from a mobile by its length
_REGISTER_MASK = MASK * 5


def masked_middle(e164: str) -> str:
    """The number as the do-not-call register shows it (``+975 17•••••42``): country code,
    the first two national digits (the operator's prefix; one for a 7-digit landline, whose
    first digit is its area) and the last two. Enough to recognise an entry someone names,
    never enough to dial it. Anything that is not a number comes back fully masked."""
    if not (e164.startswith("+") and e164[1:].isdigit()):
        return _REGISTER_MASK
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return _REGISTER_MASK
    national = str(number.national_number)
    if len(national) < 6:
        return f"+{number.country_code} {_REGISTER_MASK}"
    head = national[:2] if len(national) >= 8 else national[:1]
    return f"+{number.country_code} {head}{_REGISTER_MASK}{national[-2:]}"
