"""Final disposition of a case (DESIGN.md §3.2): priority, most recent within a level."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cati_app.core.dispositions import (
    bucket_of,
    disposition_counts,
    final_disposition,
    final_disposition_keys,
)
from cati_app.core.outcomes import BUCKET_OF_CODE, BY_KEY, Bucket, UnknownOutcome

# written out here rather than imported so the test checks the DESIGN order, not itself
PRIORITY = {"I": 7, "P": 6, "R": 5, "O": 4, "NC": 3, "NE": 2, "UR": 1, "UO": 1, "UH": 0}


@pytest.mark.parametrize(
    ("codes", "final"),
    [
        (["3.13", "2.112", "3.13"], "2.112"),
        (["1.2", "3.13"], "1.2"),
        (["2.111", "1.1"], "1.1"),
        # eligible if ever eligible
        (["2.22", "3.13"], "2.22"),
        (["4.10", "2.112"], "2.112"),
        # most recent within a level
        (["2.112", "2.111"], "2.111"),
        (["2.111", "2.112"], "2.112"),
        (["3.12", "3.13", "3.16"], "3.16"),
        # each level beats the next one down
        (["1.2", "1.1", "1.2"], "1.1"),
        (["2.12", "1.2"], "1.2"),
        (["2.31", "2.12"], "2.12"),
        (["2.21", "2.33"], "2.33"),
        (["4.90", "2.20"], "2.20"),
        (["3.21", "4.10"], "4.10"),
        (["3.13", "3.21", "3.12"], "3.21"),
        (["3.13"], "3.13"),
    ],
)
def test_final_disposition(codes, final):
    assert final_disposition(codes) == final


def test_final_disposition_accepts_any_iterable():
    assert final_disposition(iter(["3.13", "2.21"])) == "2.21"


@pytest.mark.parametrize("codes", [[], iter([])])
def test_no_attempts_is_an_error(codes):
    with pytest.raises(ValueError, match="at least one attempt"):
        final_disposition(codes)


@pytest.mark.parametrize("bad", ["9.9", "2.9", "1.0", "3.3", "no_answer", "", "2.112 "])
def test_unknown_code_is_named(bad):
    with pytest.raises(ValueError, match="unknown AAPOR code") as info:
        final_disposition(["1.1", bad])  # an outranked bad code still fails
    assert repr(bad) in str(info.value)


def test_catalogue_codes_keep_their_catalogue_bucket():
    for code, bucket in BUCKET_OF_CODE.items():
        assert bucket_of(code) is bucket


@pytest.mark.parametrize(
    ("code", "bucket"),
    [
        ("1.10", Bucket.I), ("1.21", Bucket.P), ("2.10", Bucket.R), ("2.121", Bucket.R),
        ("2.25", Bucket.NC), ("2.35", Bucket.O), ("3.11", Bucket.UH), ("3.20", Bucket.UO),
        ("3.90", Bucket.UO), ("4.5", Bucket.NE), ("4.70", Bucket.NE),
    ],
)  # fmt: skip
def test_general_aapor_families(code, bucket):
    assert bucket_of(code) is bucket


def test_final_disposition_keys_keeps_soft_and_hard_refusal_apart():
    assert final_disposition_keys(["no_answer", "soft_refusal", "hard_refusal"]) == "hard_refusal"
    assert final_disposition_keys(["soft_refusal", "no_answer", "busy"]) == "soft_refusal"
    assert final_disposition_keys(["hard_refusal", "soft_refusal"]) == "soft_refusal"


def test_final_disposition_keys_follows_priority():
    assert final_disposition_keys(["wrong_number", "no_answer"]) == "wrong_number"
    assert final_disposition_keys(["not_user", "voicemail", "busy"]) == "voicemail"
    assert final_disposition_keys(["appointment", "not_available"]) == "not_available"
    assert final_disposition_keys(["partial", "complete"]) == "complete"


def test_final_disposition_keys_errors():
    with pytest.raises(ValueError, match="at least one attempt"):
        final_disposition_keys([])
    with pytest.raises(UnknownOutcome, match="'nope'"):
        final_disposition_keys(["complete", "nope"])


def test_disposition_counts_counts_per_bucket_with_every_bucket_present():
    counts = disposition_counts(["1.1", "1.1", "2.112", "2.111", "3.13", "4.90", "2.35"])
    assert counts == {"I": 2, "P": 0, "R": 2, "NC": 0, "O": 1, "UH": 1, "UR": 0, "UO": 0, "NE": 1}
    assert all(type(key) is str for key in counts)


def test_disposition_counts_of_nothing_is_all_zero():
    assert disposition_counts([]) == dict.fromkeys(
        ["I", "P", "R", "NC", "O", "UH", "UR", "UO", "NE"], 0
    )


def test_disposition_counts_rejects_unknown_codes():
    with pytest.raises(ValueError, match="'5.1'"):
        disposition_counts(["1.1", "5.1"])


# -- properties -----------------------------------------------------------------------------

codes_st = st.sampled_from(sorted(BUCKET_OF_CODE) + ["1.11", "2.35", "3.21", "3.90", "4.70"])


@given(st.lists(codes_st, min_size=1, max_size=12))
def test_result_is_the_latest_input_of_the_highest_level(codes):
    result = final_disposition(codes)
    levels = [PRIORITY[bucket_of(code)] for code in codes]
    top = max(levels)
    assert result in codes
    assert PRIORITY[bucket_of(result)] == top  # no input has a strictly higher level
    latest_top = max(i for i, level in enumerate(levels) if level == top)
    assert result == codes[latest_top]


@given(st.lists(st.sampled_from(sorted(BY_KEY)), min_size=1, max_size=12))
def test_keys_and_codes_agree(keys):
    final_key = final_disposition_keys(keys)
    assert final_key in keys
    assert BY_KEY[final_key].aapor_code == final_disposition([BY_KEY[k].aapor_code for k in keys])
