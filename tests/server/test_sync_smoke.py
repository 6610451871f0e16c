from tests.support.factories import claim_body, interview_item, push_body, seed_cases, seed_service


def test_claim_push_pull_roundtrip(ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 3)
    auth = login("enum1")
    r = client.post("/v1/queue/claim", json=claim_body(2), headers=auth)
    assert r.status_code == 200, r.text
    cases = r.json()["cases"]
    assert len(cases) == 2
    r = client.post("/v1/sync/push", json=push_body([interview_item(cases[0], ctx.clock.now())]),
                    headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] == "stored", r.json()
    r = client.get("/v1/sync/pull", headers=auth)
    assert r.status_code == 200, r.text
