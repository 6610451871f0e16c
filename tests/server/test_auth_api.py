"""Logins, tokens, throttling and the guards every request passes (DESIGN.md §5)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cati_app.server.models import AuthToken
from tests.support.constants import PASSWORD


def _login(client, username, password=PASSWORD, device="dev-1"):
    return client.post("/v1/auth/token", json={"username": username, "password": password,
                                                "device_id": device})


def test_login_returns_a_device_bound_token_stored_only_as_a_hash(ctx, client, make_user):
    make_user("enum1")
    r = _login(client, "enum1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["role"] == "enumerator" and body["token_type"] == "bearer"
    assert len(body["access_token"]) >= 43  # 32 random bytes, url-safe
    with ctx.sessions() as s:
        stored = s.scalars(select(AuthToken.token_hash)).all()
    assert body["access_token"] not in stored and len(stored) == 1 and len(stored[0]) == 64
    hello = client.get("/v1/sync/hello", headers={
        "Authorization": f"Bearer {body['access_token']}"})
    assert hello.status_code == 200 and hello.json()["max_items_per_batch"] > 0


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make_user):
    make_user("enum1")
    unknown = _login(client, "nobody")
    wrong = _login(client, "enum1", "wrong password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_five_failures_lock_the_account_with_retry_after(ctx, client, clock, make_user):
    make_user("enum1")
    for _ in range(5):
        assert _login(client, "enum1", "bad").status_code == 401
    locked = _login(client, "enum1")  # even the right password waits
    assert locked.status_code == 429
    wait = int(locked.headers["Retry-After"])
    assert 0 < wait <= 15 * 60 + 1
    clock.advance(timedelta(minutes=15, seconds=1))
    assert _login(client, "enum1").status_code == 200


def test_failures_are_throttled_per_address_too(ctx, client, make_user):
    limit = ctx.settings.login_failures_per_address
    for i in range(limit):
        assert _login(client, f"guess{i}", "bad").status_code == 401
    make_user("enum1")
    assert _login(client, "enum1").status_code == 429  # same address (the test client)


def test_expired_and_revoked_tokens_are_refused(ctx, client, clock, make_user, login):
    make_user("enum1")
    make_user("admin", "admin")
    auth = login("enum1", device_id="laptop-7")
    assert client.get("/v1/sync/hello", headers=auth).status_code == 200
    revoked = client.post("/v1/admin/devices/laptop-7/revoke", headers=login("admin"))
    assert revoked.status_code == 200, revoked.text
    refused = client.get("/v1/sync/hello", headers=auth)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
    fresh = login("enum1", device_id="laptop-8")
    clock.advance(ctx.settings.token_ttl + timedelta(seconds=1))
    assert client.get("/v1/sync/hello", headers=fresh).status_code == 401


def test_requests_without_a_token_get_401_with_a_message(client):
    r = client.post("/v1/queue/claim", json={})
    assert r.status_code == 401 and "log in" in r.json()["detail"]


def test_malformed_and_oversize_bodies_are_4xx_never_500(ctx, client, make_user, login):
    make_user("enum1")
    auth = login("enum1")
    broken = client.post("/v1/sync/push", content=b"{not json", headers={
        **auth, "Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["error"] == "invalid"
    wrong_shape = client.post("/v1/sync/push", json={"items": "many"}, headers=auth)
    assert wrong_shape.status_code == 422 and wrong_shape.json()["fields"]
    too_many = client.post("/v1/sync/push", headers=auth, json={
        "device_id": "d", "batch_uuid": "6f1f7f0e-51d3-4b4c-9c8e-6a0f4c1f2a11",
        "items": [{"item_uuid": "6f1f7f0e-51d3-4b4c-9c8e-6a0f4c1f2a11", "kind": "case_release",
                   "case_id": 1, "assignment_version": 1, "payload": {}}] * 201})
    assert too_many.status_code == 422
    huge = b"x" * (ctx.settings.max_body_bytes + 1)
    oversize = client.post("/v1/sync/push", content=huge, headers={
        **auth, "Content-Type": "application/json"})
    assert oversize.status_code == 413 and "smaller batches" in oversize.json()["detail"]
