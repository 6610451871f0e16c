"""The one CSV row writer: text cells neutralised and cleaned, everything else as it is."""

from __future__ import annotations

import csv
import io
from datetime import date

from cati_app.core.safe_csv import SafeCsvWriter


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
