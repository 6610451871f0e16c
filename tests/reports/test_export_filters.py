"""One export filter (issue 12): built and checked once, then read as it is everywhere."""

from __future__ import annotations

from datetime import date

import pytest

from cati_app.reports.records import MAX_SERVICES, ExportFilters, FilterError


def test_service_codes_are_normalised_once() -> None:
    filters = ExportFilters(services=(" mimo", "CID", "cid", "", "  "))
    assert filters.services == ("CID", "MIMO")
    assert filters.label == "cid-mimo"
    assert filters.describe().startswith("services CID, MIMO; any date availed")
    assert ExportFilters().services == () and ExportFilters().label == "all"
    assert ExportFilters(services=("cid",)).describe().startswith("service CID;")
    assert ExportFilters(services=("A", "B", "C", "D")).label == "4-services"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"date_from": date(2026, 6, 2), "date_to": date(2026, 6, 1)}, "swap the dates"),
    ({"services": ("X" * 33,)}, "32 characters"),
    ({"services": tuple(f"S{n}" for n in range(MAX_SERVICES + 1))}, "at most"),
    ({"services": "CID"}, "as a list"),
])
def test_filters_that_cannot_select_anything_are_refused(kwargs: dict[str, object],
                                                          message: str) -> None:
    with pytest.raises(FilterError, match=message):
        ExportFilters(**kwargs)  # type: ignore[arg-type]


def test_the_same_day_twice_is_one_day() -> None:
    day = date(2026, 6, 1)
    assert ExportFilters(date_from=day, date_to=day).describe().endswith(
        "date availed from 2026-06-01 to 2026-06-01; no respondent names or phone numbers")
