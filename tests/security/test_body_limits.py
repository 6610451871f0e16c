"""Oversize bodies are refused early with 413 (declared or chunked), too many items per batch
are refused whole, and numbers no database column can hold get a 4xx, never a 500."""

from __future__ import annotations

import http.client
import json
import uuid
from urllib.parse import urlparse

from sqlalchemy import func, select

from cati_app.core.protocol import MAX_ITEMS_PER_BATCH
from cati_app.server.models import ContactAttempt, PushedItem
from tests.support.factories import attempt_item, claim_body, push_body, seed_cases, seed_service

#: one past the largest signed 64-bit integer: neither SQLite nor PostgreSQL stores it
TOO_BIG = 2**63


def _chunked_post(url: str, path: str, headers: dict[str, str], total: int,
                  content_type: str = "application/json", prefix: bytes = b""
                  ) -> tuple[int, dict, int]:
    """POST ``total`` bytes with Transfer-Encoding: chunked (no Content-Length), the way a
    streaming client sends; returns the status, the JSON body and how much was sent."""
    where = urlparse(url)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    conn.putrequest("POST", path)
    for name, value in {**headers, "Content-Type": content_type,
                        "Transfer-Encoding": "chunked"}.items():
        conn.putheader(name, value)
    conn.endheaders()
    chunk, sent = b" " * 65536, 0
    try:
        if prefix:
            conn.send(b"%x\r\n%s\r\n" % (len(prefix), prefix))
        while sent < total:
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        conn.send(b"0\r\n\r\n")
    except OSError:  # the server may close the connection once it has refused
        pass
    response = conn.getresponse()
    body = json.loads(response.read() or b"{}")
    conn.close()
    return response.status, body, sent


def test_a_declared_oversize_body_is_refused_before_it_is_read(ctx, client, make_user, login):
    make_user("enum1")
    headers = {**login("enum1"), "Content-Type": "application/json",
               "Content-Length": str(ctx.settings.max_body_bytes + 1)}
    # only a few bytes follow the header: a 413 proves the body was never waited for
    r = client.post("/v1/sync/push", content=b"{}", headers=headers)
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"


def test_a_chunked_oversize_body_gets_413_not_a_parse_error(ctx, live_server, make_user, login):
    """Regression: the guard's exception was swallowed by FastAPI's body parser, so a chunked
    body without Content-Length got 400 "There was an error parsing the body"."""
    make_user("enum1")
    status, body, _sent = _chunked_post(live_server.url, "/v1/sync/push", login("enum1"),
                                        2 * ctx.settings.max_body_bytes)
    assert status == 413, body
    assert body["error"] == "payload_too_large" and "smaller batches" in body["detail"]


def test_a_chunked_oversize_upload_gets_413_too(ctx, live_server, make_user, login):
    make_user("boss", "supervisor")
    status, body, _sent = _chunked_post(live_server.url, "/v1/samples/import", login("boss"),
                                        2 * ctx.settings.max_body_bytes,
                                        "multipart/form-data; boundary=cati-boundary",
                                        prefix=b'--cati-boundary\r\nContent-Disposition: '
                                        b'form-data; name="file"; filename="list.csv"\r\n\r\n')
    assert status == 413 and body["error"] == "payload_too_large", body


def test_a_chunked_body_within_the_limit_still_works(ctx, live_server, make_user, login):
    make_user("enum1")
    status, body, _sent = _chunked_post(live_server.url, "/v1/sync/push", login("enum1"), 1)
    assert status == 422 and body["error"] == "invalid"  # read whole: blank is not JSON


def test_too_many_items_per_batch_are_refused_whole(ctx, client, make_user, login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = client.post("/v1/queue/claim", json=claim_body(1), headers=auth).json()["cases"][0]
    advertised = client.get("/v1/sync/hello", headers=auth).json()["max_items_per_batch"]
    assert advertised == MAX_ITEMS_PER_BATCH
    at = ctx.clock.now()
    items = [attempt_item(case, at) for _ in range(advertised + 1)]
    r = client.post("/v1/sync/push", json=push_body(items), headers=auth)
    assert r.status_code == 422 and "items" in r.json()["detail"]
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PushedItem)) == 0
    ok = client.post("/v1/sync/push", json=push_body(items[:advertised]), headers=auth)
    assert ok.status_code == 200 and len(ok.json()["results"]) == advertised


def test_ids_beyond_64_bits_get_a_4xx_not_a_500(ctx, client, make_user, login):
    """Regression: an id no database integer holds reached the driver and raised
    OverflowError (SQLite) or DataError (PostgreSQL): a 500."""
    make_user("boss", "supervisor")
    boss = login("boss")
    for path in (f"/v1/conflicts/{TOO_BIG}", f"/v1/cases?batch={TOO_BIG}",
                 f"/v1/questionnaires/set/{TOO_BIG}"):
        r = client.get(path, headers=boss)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
        assert r.json()["detail"]
    r = client.post("/v1/cases/assign", headers=boss,
                    json={"case_ids": [TOO_BIG], "to_user": None})
    assert 400 <= r.status_code < 500, r.text


def test_one_item_with_an_out_of_range_number_never_blocks_the_others(ctx, client, make_user,
                                                                      login):
    make_user("enum1")
    seed_cases(ctx, seed_service(ctx), 1)
    auth = login("enum1")
    case = client.post("/v1/queue/claim", json=claim_body(1), headers=auth).json()["cases"][0]
    at = ctx.clock.now()
    huge_case = {**attempt_item(case, at), "case_id": TOO_BIG}
    huge_version = {**attempt_item(case, at), "assignment_version": TOO_BIG}
    good = attempt_item(case, at)
    r = client.post("/v1/sync/push", json=push_body([huge_case, huge_version, good]),
                    headers=auth)
    assert r.status_code == 200, r.text
    statuses = [res["status"] for res in r.json()["results"]]
    assert statuses == ["rejected_invalid", "rejected_invalid", "stored"]
    with ctx.sessions() as s:
        assert s.scalars(select(ContactAttempt.item_uuid)).all() == [good["item_uuid"]]
    assert str(uuid.UUID(r.json()["results"][2]["item_uuid"])) == good["item_uuid"]
