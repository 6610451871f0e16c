"""Tokens are stored only as hashes, and no phone number, respondent name or token reaches the
server's logs during a whole sync scenario (DESIGN.md §5)."""

from __future__ import annotations

import logging

import phonenumbers
from sqlalchemy import String, Text, select

from cati_app.server.models import AuthToken, Base
from tests.support.factories import (
    attempt_item,
    claim_body,
    interview_item,
    push_body,
    seed_cases,
    seed_service,
)


def _scenario(ctx, client, make_user, login) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """Login, claim, push, pull, supervisor search and reassign; the tokens and the cases."""
    make_user("enum1")
    make_user("boss", "supervisor")
    seed_cases(ctx, seed_service(ctx), 3, phones=2)
    enum, boss = login("enum1"), login("boss")
    cases = client.post("/v1/queue/claim", json=claim_body(3), headers=enum).json()["cases"]
    now = ctx.clock.now()
    client.post("/v1/sync/push", headers=enum, json=push_body(
        [attempt_item(cases[0], now), interview_item(cases[1], now)]))
    client.get("/v1/sync/pull", headers=enum)
    client.get("/v1/cases", params={"text": cases[2]["respondent_name"]}, headers=boss)
    client.post("/v1/cases/assign", headers=boss, json={
        "case_ids": [cases[2]["case_id"]], "to_user": None, "force": True, "reason": "r"})
    tokens = [h["Authorization"].split()[1] for h in (enum, boss)]
    return tokens, cases


def _forms(phone: str) -> list[str]:
    parsed = phonenumbers.parse(phone)
    return [phone, str(parsed.national_number),
            phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)]


def test_only_token_hashes_are_stored(ctx, client, make_user, login):
    tokens, _cases = _scenario(ctx, client, make_user, login)
    with ctx.sessions() as s:
        for table in Base.metadata.sorted_tables:
            text_columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in s.execute(select(*text_columns)) if text_columns else []:
                for value in row:
                    assert not any(t in str(value) for t in tokens), table.name
    with ctx.sessions() as s:
        hashes = s.scalars(select(AuthToken.token_hash)).all()
    assert len(hashes) == len(tokens) and all(len(h) == 64 for h in hashes)


def test_no_phone_name_or_token_in_the_logs(ctx, client, make_user, login, caplog):
    loggers = ["cati_app", "uvicorn", "uvicorn.access", "uvicorn.error", "fastapi"]
    for name in loggers:  # uvicorn's loggers do not propagate: listen to them directly
        logging.getLogger(name).addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.DEBUG):
            for name in loggers:
                logging.getLogger(name).setLevel(logging.DEBUG)
            tokens, cases = _scenario(ctx, client, make_user, login)
    finally:
        for name in loggers:
            logging.getLogger(name).removeHandler(caplog.handler)
    text = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    secrets = tokens + [c["respondent_name"] for c in cases]
    secrets += [form for c in cases for p in c["phones"] for form in _forms(p)]
    leaked = [s for s in secrets if s in text]
    assert not leaked, leaked
