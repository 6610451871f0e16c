"""Issue 18: the room's backlog by language and by skill, with enumerators on shift (signed
in) per language (both backends)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import update

from cati_app.core.protocol import Role
from cati_app.server.context import AppContext
from cati_app.server.db import transaction
from cati_app.server.models import AuthToken, CaseState, User
from tests.support.factories import give, seed_case, seed_cid_service


def set_skills(ctx: AppContext, user_id: int, languages: list[str], skills: tuple[str, ...] = ()
               ) -> None:
    with transaction(ctx.sessions) as session:
        user = session.get_one(User, user_id)
        user.languages, user.skills = languages, list(skills)


def test_backlog_per_language_conversions_and_who_is_on_shift(
        client: TestClient, ctx: AppContext, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    service = seed_cid_service(ctx)
    for language in ("ne", "ne", "ne", "dz", "any"):
        seed_case(ctx, service, language=language, state=CaseState.QUEUED)
    seed_case(ctx, service, language="ne", state=CaseState.QUEUED, disposition="soft_refusal")
    seed_case(ctx, service, language="dz", state=CaseState.CLOSED)  # not a backlog
    dorji, pema, tashi = (make_user(n) for n in ("dorji", "pema", "tashi"))
    set_skills(ctx, dorji, ["dz", "en"], ["refusal_conversion"])
    set_skills(ctx, pema, ["dz", "tsj"])
    set_skills(ctx, tashi, ["ne"])  # never signs in: not on shift
    give(ctx, seed_case(ctx, service, language="tsj"), pema)  # held: being worked
    login("dorji")
    login("pema")
    make_user("boss", Role.supervisor)
    room = client.get("/v1/reports/room", headers=login("boss")).json()
    rows = {r["language"]: r for r in room["languages"]}
    assert [r["language"] for r in room["languages"]] == ["dz", "tsj", "ne", "en", "any"]
    assert rows["ne"] == {"language": "ne", "queued": 4, "conversions_waiting": 1,
                          "on_shift": 0}  # Lhotshamkha piles up with nobody to call it
    assert rows["dz"] == {"language": "dz", "queued": 1, "conversions_waiting": 0,
                          "on_shift": 2}
    assert (rows["tsj"]["queued"], rows["tsj"]["on_shift"]) == (0, 1)
    assert (rows["en"]["queued"], rows["en"]["on_shift"]) == (0, 1)
    assert (rows["any"]["queued"], rows["any"]["on_shift"]) == (1, 2)
    assert (room["conversions_waiting"], room["converters_on_shift"], room["on_shift"]) == (
        1, 1, 2)


def test_a_revoked_token_takes_an_enumerator_off_shift(
        client: TestClient, ctx: AppContext, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    dorji = make_user("dorji")
    set_skills(ctx, dorji, ["ne"])
    login("dorji")
    make_user("boss", Role.supervisor)
    boss = login("boss")

    def ne_on_shift() -> int:
        room = client.get("/v1/reports/room", headers=boss).json()
        return next(r["on_shift"] for r in room["languages"] if r["language"] == "ne")

    assert ne_on_shift() == 1
    with transaction(ctx.sessions) as session:  # what signing out does to the token
        session.execute(update(AuthToken).where(AuthToken.user_id == dorji)
                        .values(revoked_at=ctx.clock.now()))
    assert ne_on_shift() == 0


def test_an_older_code_on_a_case_is_counted_not_lost(
        client: TestClient, ctx: AppContext, make_user: Callable[..., int],
        login: Callable[..., dict[str, str]]) -> None:
    seed_case(ctx, seed_cid_service(ctx), language="xx", state=CaseState.QUEUED)
    make_user("boss", Role.supervisor)
    room = client.get("/v1/reports/room", headers=login("boss")).json()
    assert room["languages"][-1] == {"language": "xx", "queued": 1, "conversions_waiting": 0,
                                     "on_shift": 0}
