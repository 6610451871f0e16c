"""Fill tags from the case in read-outs."""

from __future__ import annotations

from cati_app.core.questionnaire import FILL_TAGS, default_questionnaire, fill

CASE = {"respondent": "Karma Wangmo", "service": "Issuance of New CID Card",
        "office": "Thimphu Dzongkhag Administration", "date_availed": "3 March 2025",
        "enumerator": "Sonam"}


def test_all_tags_are_filled() -> None:
    text = " | ".join("{" + tag + "}" for tag in FILL_TAGS)
    assert fill(text, CASE) == " | ".join(CASE[tag] for tag in FILL_TAGS)


def test_unknown_tags_stay_visible() -> None:
    assert fill("Hello {respondant}, {respondent}", CASE) == "Hello {respondant}, Karma Wangmo"


def test_missing_or_blank_values_leave_the_tag_visible() -> None:
    assert fill("at {office} on {date_availed}", {"office": ""}) == "at {office} on {date_availed}"


def test_braces_that_are_not_tags_are_untouched() -> None:
    assert fill("{ respondent } {Respondent} {}", CASE) == "{ respondent } {Respondent} {}"


def test_repeated_tags_and_plain_text() -> None:
    assert fill("{enumerator}/{enumerator}", CASE) == "Sonam/Sonam"
    assert fill("no tags here", CASE) == "no tags here"


def test_default_greeting_filled_has_no_tags_left() -> None:
    intro = default_questionnaire().item("intro").label["en"]
    filled = fill(intro, CASE)
    assert "{" not in filled
    assert "Karma Wangmo" in filled and "Issuance of New CID Card" in filled
