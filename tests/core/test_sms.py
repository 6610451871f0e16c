"""SMS rules without I/O: receipts, replies (STOP in English and Dzongkha), back-off, rate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cati_app.core.sms import RateLimit, back_off, parse_receipt, read_reply

RECEIPT = ("id:0a1b2c sub:001 dlvrd:001 submit date:2612011200 done date:2612011201 "
           "stat:{stat} err:000 text:Please rate")


@pytest.mark.parametrize(("stat", "delivery"), [
    ("DELIVRD", "delivered"), ("UNDELIV", "undeliverable"), ("REJECTD", "undeliverable"),
    ("EXPIRED", "expired"), ("ENROUTE", "pending"), ("SOMETHING", "pending")])
def test_a_receipt_gives_its_message_and_what_became_of_it(stat: str, delivery: str) -> None:
    receipt = parse_receipt(RECEIPT.format(stat=stat))
    assert receipt is not None
    assert (receipt.message_id, receipt.stat, receipt.delivery) == ("0a1b2c", stat, delivery)


@pytest.mark.parametrize("text", ["Thank you", "id: stat:DELIVRD", "stat:DELIVRD", ""])
def test_a_message_that_is_not_a_receipt_is_not_read_as_one(text: str) -> None:
    assert parse_receipt(text) is None


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop. ", "STOP ALL", "unsubscribe",
                                  "ཚུགས", "ཚུགས།", "མཚམས་འཇོག", " མཚམས་འཇོག། "])
def test_stop_words_alone_are_a_stop(text: str) -> None:
    assert read_reply(text).kind == "stop"


@pytest.mark.parametrize("text", ["please stop calling at night, the office was fine",
                                  "don't stop", "STOP 3", "ཚུགས་ མ་ཚུགས"])
def test_a_message_that_only_mentions_stop_is_not_a_stop(text: str) -> None:
    assert read_reply(text).kind == "text"


@pytest.mark.parametrize(("text", "digit"), [("3", "3"), (" 4 ", "4"), ("5.", "5"),
                                             ("1)", "1"), ("༣", "3"), ("༠", "0")])
def test_a_single_digit_in_latin_or_tibetan_script_is_an_answer(text: str, digit: str) -> None:
    assert read_reply(text) == read_reply(text).__class__("digit", digit)


@given(st.text(max_size=40))
def test_any_text_reads_as_exactly_one_kind_without_raising(text: str) -> None:
    assert read_reply(text).kind in {"stop", "digit", "text"}


def test_back_off_doubles_from_thirty_seconds_up_to_an_hour() -> None:
    waits = [back_off(n) for n in range(1, 10)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert waits[-1] == timedelta(hours=1)
    assert waits == sorted(waits)


def test_the_rate_limit_lets_n_a_second_through_and_says_how_long_to_wait() -> None:
    rate = RateLimit(per_second=3)
    for t in (0.0, 0.1, 0.2):
        assert rate.wait_before_next(t) == 0
        rate.sent(t)
    assert rate.wait_before_next(0.5) == pytest.approx(0.5)
    assert rate.wait_before_next(1.05) == 0  # the first send left the window
