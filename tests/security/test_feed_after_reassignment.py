"""Issue 11 (low): a former holder can no longer read a case's name and phone numbers from
old feed entries once the case moved on (both backends)."""

from __future__ import annotations

from tests.support.factories import assign_via_api as _assign
from tests.support.factories import load_case as _case
from tests.support.factories import seed_cases, seed_service


def test_a_former_holder_no_longer_reads_the_cases_contact_details_from_the_feed(
        ctx, client, make_user, login):
    make_user("enum1")
    make_user("enum2")
    make_user("boss", "supervisor")
    ids = seed_cases(ctx, seed_service(ctx), 3)
    boss = login("boss")
    _assign(client, boss, ids[:2], "enum1")
    one = login("enum1")
    before = client.get("/v1/sync/pull", headers=one).json()["changes"]
    moved = [c for c in before if c["case_id"] == ids[0]]
    assert moved and moved[0]["body"]["phones"]  # while they hold it, they see it

    _assign(client, boss, [ids[0]], "enum2", force=True, reason="enum1 is on leave")

    after = client.get("/v1/sync/pull", headers=one).json()["changes"]
    text = repr([c for c in after if c["case_id"] == ids[0]])
    case = _case(ctx, ids[0])
    assert case.respondent_name not in text and case.phone1 not in text
    assert [c["type"] for c in after if c["case_id"] == ids[0]] == ["case_revoked"] * 2
    kept = [c for c in after if c["case_id"] == ids[1]]
    assert kept[0]["body"]["phones"] == [_case(ctx, ids[1]).phone1]  # still theirs
    two = client.get("/v1/sync/pull", headers=login("enum2")).json()["changes"]
    assert [c["body"]["respondent_name"] for c in two if c["type"] == "case_upsert"
            ] == [case.respondent_name]
