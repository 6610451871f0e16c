"""The one CSV row writer: text cells neutralised and cleaned, everything else as it is; the
writers' fast path for plain text."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from cati_app.core.safe_csv import SafeCsvWriter
from cati_app.core.safe_text import export_text, is_plain_text, neutralise_formula


def _written(row: list[object], **options: bool) -> list[str]:
    stream = io.StringIO()
    SafeCsvWriter(stream, **options).writerow(row)
    return next(csv.reader(io.StringIO(stream.getvalue())))


def test_text_that_would_run_gets_an_apostrophe_numbers_do_not() -> None:
    assert _written(["=1+1", "@A1", "+975 17123456", "-x", "plain", -5, 2.5, None,
                     date(2026, 5, 20)]) == [
        "'=1+1", "'@A1", "'+975 17123456", "'-x", "plain", "-5", "2.5", "", "2026-05-20"]


def test_text_is_cleaned_and_phones_masked_only_when_asked() -> None:
    assert _written(["a\x0bb\x00c", "call 17123456"]) == ["a\nbc", "call 17123456"]
    assert _written(["call 17123456"], mask_phones=True) == ["call [phone]"]


#: any text, and text made mostly of what phone numbers and formulas are made of
TEXTS = st.one_of(st.text(), st.text(alphabet=st.sampled_from(list("0123456789 -.()+=@a\x0b\t"))))


@given(TEXTS, st.booleans())
def test_plain_text_is_exactly_the_text_export_would_leave_alone(text: str, mask: bool) -> None:
    if is_plain_text(text, mask_phones=mask):
        assert export_text(text, mask_phones=mask) == text
        assert neutralise_formula(text) == text
