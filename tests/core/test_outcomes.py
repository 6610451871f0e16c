"""The outcome catalogue against DESIGN.md §3.2."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest

from cati_app.core.outcomes import (
    BUCKET_OF_CODE,
    BY_KEY,
    OUTCOMES,
    Bucket,
    UnknownOutcome,
    by_shortcut,
    outcome,
    pickable,
)

ELIGIBLE = {Bucket.I, Bucket.P, Bucket.R, Bucket.NC, Bucket.O}
UNKNOWN = {Bucket.UH, Bucket.UR, Bucket.UO}


def test_keys_are_unique():
    keys = [o.key for o in OUTCOMES]
    assert len(keys) == len(set(keys))
    assert set(BY_KEY) == set(keys)


def test_pickable_outcomes_have_unique_non_empty_single_letter_shortcuts():
    shortcuts = [o.shortcut for o in pickable()]
    assert all(len(s) == 1 and s.isupper() for s in shortcuts), shortcuts
    assert len(shortcuts) == len(set(shortcuts))


def test_derived_outcomes_are_exactly_complete_partial_break_off():
    derived = {o.key for o in OUTCOMES if o.derived}
    assert derived == {"complete", "partial", "break_off"}
    assert all(o.final and o.shortcut == "" for o in OUTCOMES if o.derived)
    server_only = {o.key for o in OUTCOMES if o.server_only}
    assert {o.key for o in pickable()} == set(BY_KEY) - derived - server_only


def test_server_only_outcomes_are_the_register_withdrawals_final_and_unpickable():
    server_only = [o for o in OUTCOMES if o.server_only]
    assert {o.key for o in server_only} == {"register_refusal", "register_other"}
    assert all(o.final and o.shortcut == "" and not o.derived for o in server_only)


def test_only_never_call_puts_the_number_on_the_register():
    assert [o.key for o in OUTCOMES if o.do_not_call] == ["never_call"]
    never = outcome("never_call")
    assert never.final and never.bucket is Bucket.R and by_shortcut("r") is never


def test_temporary_outcomes_retry_unless_appointment_or_wrong_number():
    for o in OUTCOMES:
        if not o.final and not o.books_appointment and o.key not in ("wrong_number",
                                                                     "language_needed"):
            assert o.retry_delay is not None and o.retry_delay > timedelta(0), o.key


def test_final_appointment_and_wrong_number_outcomes_have_no_retry_delay():
    for o in OUTCOMES:
        if o.final or o.books_appointment or o.key in ("wrong_number", "language_needed"):
            assert o.retry_delay is None, o.key


def test_wrong_number_moves_to_the_next_number_and_stays_eligible():
    wrong = outcome("wrong_number")
    assert wrong.try_next_number and not wrong.final
    assert wrong.bucket is Bucket.NC and wrong.eligible is True
    assert [o.key for o in OUTCOMES if o.try_next_number] == ["wrong_number"]


def test_exactly_one_appointment_outcome():
    assert [o.key for o in OUTCOMES if o.books_appointment] == ["appointment"]


# key, AAPOR code, bucket, final, retry: the table of DESIGN.md §3.2
DESIGN_TABLE = [
    ("complete", "1.1", Bucket.I, True, None),
    ("partial", "1.2", Bucket.P, True, None),
    ("break_off", "2.12", Bucket.R, True, None),
    ("appointment", "2.21", Bucket.NC, False, None),
    ("soft_refusal", "2.112", Bucket.R, False, timedelta(days=7)),
    ("hard_refusal", "2.112", Bucket.R, True, None),
    ("never_call", "2.112", Bucket.R, True, None),
    ("refusal_other", "2.111", Bucket.R, True, None),
    ("no_answer", "3.13", Bucket.UH, False, timedelta(hours=3)),
    ("busy", "3.12", Bucket.UH, False, timedelta(minutes=15)),
    ("unreachable", "3.16", Bucket.UH, False, timedelta(hours=2)),
    ("voicemail", "2.22", Bucket.NC, False, timedelta(hours=3)),
    ("not_available", "2.21", Bucket.NC, False, timedelta(hours=3)),
    ("wrong_number", "2.20", Bucket.NC, False, None),
    ("language_barrier", "2.33", Bucket.O, True, None),
    ("language_needed", "2.33", Bucket.O, False, None),
    ("unable", "2.32", Bucket.O, True, None),
    ("deceased", "2.31", Bucket.O, True, None),
    ("not_user", "4.10", Bucket.NE, True, None),
    ("duplicate", "4.90", Bucket.NE, True, None),
    # withdrawn by the do-not-call register (issue 15), set by the server only
    ("register_refusal", "2.11", Bucket.R, True, None),
    ("register_other", "2.30", Bucket.O, True, None),
]


def test_catalogue_matches_the_design_table():
    actual = [(o.key, o.aapor_code, o.bucket, o.final, o.retry_delay) for o in OUTCOMES]
    assert sorted(actual) == sorted(DESIGN_TABLE)


def test_only_soft_refusal_is_once():
    assert [o.key for o in OUTCOMES if o.once] == ["soft_refusal"]


def test_eligible_flag_agrees_with_bucket():
    for o in OUTCOMES:
        expected = True if o.bucket in ELIGIBLE else None if o.bucket in UNKNOWN else False
        assert o.eligible is expected, o.key


def test_outcomes_sharing_a_code_share_a_bucket():
    buckets = defaultdict(set)
    for o in OUTCOMES:
        buckets[o.aapor_code].add(o.bucket)
    assert all(len(b) == 1 for b in buckets.values()), buckets
    assert {code: b.pop() for code, b in buckets.items()} == BUCKET_OF_CODE


@pytest.mark.parametrize("char", ["n", "N"])
def test_by_shortcut_is_case_insensitive(char):
    assert by_shortcut(char) is BY_KEY["no_answer"]


def test_by_shortcut_finds_every_pickable_outcome():
    for o in pickable():
        assert by_shortcut(o.shortcut.lower()) is o


@pytest.mark.parametrize("char", ["", "Z", "1", "NN"])
def test_by_shortcut_unknown_is_none(char):
    assert by_shortcut(char) is None


def test_unknown_key_error_names_the_key_and_the_choices():
    with pytest.raises(UnknownOutcome) as info:
        outcome("no_anwser")
    message = str(info.value)
    assert "'no_anwser'" in message
    assert "no_answer" in message and "complete" in message
    assert isinstance(info.value, ValueError)
