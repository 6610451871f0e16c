"""Phone number normalisation, rejection reasons and reading format (DESIGN.md §3.4)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cati_app.core.phones import InvalidPhoneNumber, format_for_reading, is_mobile, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # mobiles on the three prefixes, bare
        ("17123456", "+97517123456"),
        ("16123456", "+97516123456"),
        ("77123456", "+97577123456"),
        # country code spellings
        ("+97517123456", "+97517123456"),
        ("+975 17 12 34 56", "+97517123456"),
        ("0097517123456", "+97517123456"),
        ("00975 17 123 456", "+97517123456"),
        ("97517123456", "+97517123456"),
        ("975-77-123-456", "+97577123456"),
        # separators people use
        ("17-123-456", "+97517123456"),
        ("17.12.34.56", "+97517123456"),
        ("(17) 123 456", "+97517123456"),
        ("  17 123 456  ", "+97517123456"),
        ("+975\u00a017\u00a0123\u00a0456", "+97517123456"),
        # landlines: 7 digits with the area code, with or without a trunk 0
        ("2323456", "+9752323456"),
        ("02 323 456", "+9752323456"),
        ("(02) 323-456", "+9752323456"),
        ("+975 2 323 456", "+9752323456"),
        ("+975 (0)2 323 456", "+9752323456"),
        ("9752323456", "+9752323456"),
        ("08 271 234", "+9758271234"),
        # spreadsheet cells
        ("17123456.0", "+97517123456"),
        (17123456, "+97517123456"),
        (17123456.0, "+97517123456"),
        (97517123456, "+97517123456"),
        ("1.7123456E+7", "+97517123456"),
        # typed with Dzongkha (Tibetan) digits
        ("\u0f21\u0f27\u0f21\u0f22\u0f23\u0f24\u0f25\u0f26", "+97517123456"),
    ],
)
def test_accepted_spellings_normalise_to_e164(raw: object, expected: str) -> None:
    assert normalize(raw) == expected


def _reject(raw: object) -> InvalidPhoneNumber:
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalize(raw)
    assert caught.value.reason == str(caught.value)
    return caught.value


@pytest.mark.parametrize("raw", ["", "   ", None, float("nan"), "--"])
def test_empty_is_rejected_as_empty(raw: object) -> None:
    error = _reject(raw)
    assert error.code == "empty"
    assert "no phone number" in error.reason


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("+91 98765 43210", "India (+91)"),
        ("0091 98765 43210", "India (+91)"),
        ("919876543210", "India (+91)"),  # foreign number written without the plus
        ("+1 202 555 0123", "United States (+1)"),
        ("+44 20 7946 0958", "United Kingdom (+44)"),
    ],
)
def test_foreign_numbers_name_the_country(raw: str, country: str) -> None:
    error = _reject(raw)
    assert error.code == "foreign"
    assert "not a Bhutanese number" in error.reason
    assert country in error.reason


def test_unknown_country_code_says_so() -> None:
    error = _reject("+999 1234 5678")
    assert error.code == "foreign"
    assert "no country uses the code" in error.reason


@pytest.mark.parametrize("raw", ["abc", "17123456x", "1-800-ABC", "17 123 45G", "tel 17123456"])
def test_letters_are_junk_and_never_turned_into_digits(raw: str) -> None:
    error = _reject(raw)
    assert error.code == "junk"
    assert "not part of a phone number" in error.reason


def test_junk_reason_names_the_offending_characters() -> None:
    assert "'x'" in _reject("17123456x").reason
    assert "'+'" in _reject("17+123456").reason


@pytest.mark.parametrize("raw", ["12345", "171234", "+975 12345"])
def test_too_short(raw: str) -> None:
    error = _reject(raw)
    assert error.code == "too_short"
    assert "too short" in error.reason
    assert "8 digits" in error.reason


def test_six_digit_landline_is_told_to_add_the_area_code() -> None:
    error = _reject("323456")
    assert error.code == "too_short"
    assert "needs its area code in front" in error.reason


@pytest.mark.parametrize("raw", ["171234567", "+975 17 123 456 78", "1712345678901"])
def test_too_long(raw: str) -> None:
    error = _reject(raw)
    assert error.code == "too_long"
    assert "too long" in error.reason


@pytest.mark.parametrize("raw", ["12345678", "9123456", "1123456", "+975 12 34 56 78"])
def test_outside_valid_ranges(raw: str) -> None:
    error = _reject(raw)
    assert error.code == "invalid_range"
    assert "not in a valid Bhutanese number range" in error.reason
    assert "16, 17 or 77" in error.reason


def test_several_numbers_in_one_cell() -> None:
    error = _reject("17123456 / 77123456")
    assert error.code == "multiple"
    assert "own column" in error.reason


def test_rounded_scientific_notation_is_refused_not_guessed() -> None:
    error = _reject("1.71234E+7")  # Excel's display of 171234xx: digits are gone
    assert error.code == "junk"
    assert "scientific notation" in error.reason


@pytest.mark.parametrize("raw", [True, 17123456.5])
def test_non_numbers_from_cells(raw: object) -> None:
    assert _reject(raw).code == "junk"


def test_reasons_never_contain_the_number() -> None:
    # reasons reach logs; phone numbers must not (DESIGN.md §5)
    for raw in ["+91 98765 43210", "171234567", "12345678", "17123456x"]:
        assert "9876543210" not in _reject(raw).reason
        assert "1712345" not in _reject(raw).reason


def test_invalid_phone_number_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalize("abc")


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+97517123456", "+975 17 12 34 56"),
        ("+97577654321", "+975 77 65 43 21"),
        ("+9752323456", "+975 2 323 456"),
        ("+919876543210", "+91 98765 43210"),
        ("not a number", "not a number"),
    ],
)
def test_format_for_reading(e164: str, shown: str) -> None:
    assert format_for_reading(e164) == shown


def test_format_round_trips_through_normalize() -> None:
    for raw in ["17123456", "02 323 456"]:
        e164 = normalize(raw)
        assert normalize(format_for_reading(e164)) == e164


@pytest.mark.parametrize(
    ("e164", "mobile"),
    [("+97517123456", True), ("+97577123456", True), ("+9752323456", False), ("junk", False)],
)
def test_is_mobile(e164: str, mobile: bool) -> None:
    assert is_mobile(e164) is mobile


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.text(alphabet="+0123456789 -.()/x", max_size=20),
                 st.integers(), st.floats()))
def test_anything_either_normalises_stably_or_is_rejected_with_a_reason(raw: object) -> None:
    try:
        e164 = normalize(raw)
    except InvalidPhoneNumber as error:
        assert error.reason and error.code in {
            "empty", "junk", "multiple", "too_short", "too_long", "foreign", "invalid_range"
        }
        return
    assert e164.startswith("+975") and e164[1:].isascii() and e164[1:].isdigit()
    assert normalize(e164) == e164
    assert normalize(format_for_reading(e164)) == e164
